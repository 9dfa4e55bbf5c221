import Foundation

/// The in-memory store's ingestion tables.
struct EventData {
    var runs: [UUID: IngestRun] = [:]
    var events: [EventSlot: StoredEvent] = [:]
    var quarantine: [UUID: [QuarantinedRecord]] = [:]
    var nextID: Int64 = 1
}

extension InMemoryStore {
    public func ingestRun(hash: String, format: String, feed: String) async throws -> IngestRun? {
        self.eventData.runs.values.first { $0.fileHash == hash && $0.format == format && $0.feed == feed }
    }

    public func ingestRun(id: UUID) async throws -> IngestRun? { self.eventData.runs[id] }

    public func insertIngestRun(_ run: IngestRun) async throws {
        if try await self.ingestRun(hash: run.fileHash, format: run.format, feed: run.feed) != nil {
            throw StoreError.duplicate(field: "file", value: run.fileName)
        }
        self.eventData.runs[run.id] = run
    }

    public func commitIngestBatch(
        runID: UUID, events: [PendingEvent], quarantine: [QuarantinedRecord], read: Int, repeats: Int, checkpointLine: Int
    ) async throws -> IngestCounts {
        guard var run = self.eventData.runs[runID] else { throw StoreError.notFound("ingest run \(runID)") }
        let (stored, seen) = self.storeEvents(events, runID: runID)
        self.eventData.quarantine[runID, default: []].append(contentsOf: quarantine)
        run.counts = run.counts + IngestCounts(read: read, stored: stored, duplicates: repeats + seen, quarantined: quarantine.count)
        run.checkpointLine = max(run.checkpointLine, checkpointLine)
        self.eventData.runs[runID] = run
        return run.counts
    }

    public func commitReprocessed(
        runID: UUID, events: [PendingEvent], repeats: Int, resolvedLines: [Int], stillQuarantined: [QuarantinedRecord]
    ) async throws -> IngestCounts {
        guard var run = self.eventData.runs[runID] else { throw StoreError.notFound("ingest run \(runID)") }
        let (stored, seen) = self.storeEvents(events, runID: runID)
        let resolved = Set(resolvedLines)
        let reasons = Dictionary(stillQuarantined.map { ($0.line, $0.reason) }, uniquingKeysWith: { _, last in last })
        let before = self.eventData.quarantine[runID] ?? []
        self.eventData.quarantine[runID] = before.filter { !resolved.contains($0.line) }.map { record in
            var record = record
            record.reason = reasons[record.line] ?? record.reason
            return record
        }
        let taken = before.count - (self.eventData.quarantine[runID]?.count ?? 0)
        run.counts = run.counts + IngestCounts(read: 0, stored: stored, duplicates: repeats + seen, quarantined: -taken)
        self.eventData.runs[runID] = run
        return run.counts
    }

    /// Stores new events and raises the count of those already stored; returns how many of each.
    private func storeEvents(_ events: [PendingEvent], runID: UUID) -> (stored: Int, seen: Int) {
        var stored = 0
        var seen = 0
        for pending in events {
            let key = EventSlot(key: pending.key, window: pending.window)
            if var existing = self.eventData.events[key] {
                existing.count += pending.count
                existing.lastSeen = max(existing.lastSeen, pending.lastSeen)
                self.eventData.events[key] = existing
                seen += 1  // its first record; its repeats in the batch are in `repeats`
            } else {
                self.eventData.events[key] = StoredEvent(
                    id: self.eventData.nextID, event: pending.event, count: pending.count, firstSeen: pending.firstSeen,
                    lastSeen: pending.lastSeen, organisations: pending.organisations, rule: pending.rule, runID: runID)
                self.eventData.nextID += 1
                stored += 1
            }
        }
        return (stored, seen)
    }

    public func finishIngestRun(id: UUID, at date: Date, header: String?) async throws {
        self.eventData.runs[id]?.finishedAt = date
        self.eventData.runs[id]?.header = header
    }

    public func ingestRuns(limit: Int) async throws -> [IngestRun] {
        Array(self.eventData.runs.values.sorted { $0.startedAt > $1.startedAt }.prefix(limit))
    }

    public func quarantined(runID: UUID, afterLine: Int, limit: Int) async throws -> [QuarantinedRecord] {
        Array((self.eventData.quarantine[runID] ?? []).filter { $0.line > afterLine }.sorted { $0.line < $1.line }.prefix(max(0, limit)))
    }

    public func eventCount() async throws -> Int { self.eventData.events.count }

    public func events(matching query: EventQuery) async throws -> [StoredEvent] {
        let all = self.eventData.events.values.filter { query.matches($0) }.sorted { ($0.lastSeen, $0.id) > ($1.lastSeen, $1.id) }
        return Array(all.dropFirst(max(0, query.offset)).prefix(max(0, query.limit)))
    }

    public func event(id: Int64) async throws -> StoredEvent? { self.eventData.events.values.first { $0.id == id } }

    public func latestEvents(limit: Int) async throws -> [StoredEvent] {
        Array(self.eventData.events.values.sorted { ($0.lastSeen, $0.id) > ($1.lastSeen, $1.id) }.prefix(limit))
    }
}

/// An event's place for de-duplication: its key in its window.
public struct EventSlot: Hashable, Sendable {
    public var key: DeduplicationKey
    public var window: Int64

    public init(key: DeduplicationKey, window: Int64) {
        self.key = key
        self.window = window
    }
}
