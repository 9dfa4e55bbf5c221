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
        var stored = 0
        var duplicates = repeats
        for pending in events {
            let key = EventSlot(key: pending.key, window: pending.window)
            if var existing = self.eventData.events[key] {
                existing.count += pending.count
                existing.lastSeen = max(existing.lastSeen, pending.lastSeen)
                self.eventData.events[key] = existing
                duplicates += 1  // its first record; its repeats in the batch are in `repeats`
            } else {
                self.eventData.events[key] = StoredEvent(
                    id: self.eventData.nextID, event: pending.event, count: pending.count, firstSeen: pending.firstSeen,
                    lastSeen: pending.lastSeen, organisations: pending.organisations, rule: pending.rule, runID: runID)
                self.eventData.nextID += 1
                stored += 1
            }
        }
        self.eventData.quarantine[runID, default: []].append(contentsOf: quarantine)
        run.counts = run.counts + IngestCounts(read: read, stored: stored, duplicates: duplicates, quarantined: quarantine.count)
        run.checkpointLine = max(run.checkpointLine, checkpointLine)
        self.eventData.runs[runID] = run
        return run.counts
    }

    public func finishIngestRun(id: UUID, at date: Date) async throws { self.eventData.runs[id]?.finishedAt = date }

    public func ingestRuns(limit: Int) async throws -> [IngestRun] {
        Array(self.eventData.runs.values.sorted { $0.startedAt > $1.startedAt }.prefix(limit))
    }

    public func quarantined(runID: UUID, limit: Int) async throws -> [QuarantinedRecord] {
        Array((self.eventData.quarantine[runID] ?? []).sorted { $0.line < $1.line }.prefix(limit))
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
