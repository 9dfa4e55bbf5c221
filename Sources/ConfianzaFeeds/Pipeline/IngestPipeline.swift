import ConfianzaCore
import ConfianzaNetwork
import Crypto
import Foundation
import Synchronization

/// The ingestion pipeline: parse → validate → classify → de-duplicate → route to the constituency →
/// store in batches, accounting for every record.
///
/// De-duplication is n6-style aggregation: events with the same key (every field but `raw` and
/// `time.observation`) in the same window (fixed, 24 h by default, of the event's time) are one
/// stored event whose count and last-seen time grow.
///
/// Ingesting the same bytes again (same format and feed) does nothing; a run cut short (even by kill -9)
/// goes on from its last stored batch when the same file is ingested again, because each batch is
/// stored with the run's checkpoint in one transaction.
public final class IngestPipeline: Sendable {
    public typealias Storage = any EventStore & AuditStore & FeedSourceStore

    public let store: Storage
    public let constituency: ConstituencyService
    /// The Shadowserver mapping in use: the one given, or built on the schema a site loaded
    /// (``ShadowserverMapping/storedSchemaName``) once ``refreshMapping()`` has seen it.
    public var mapping: ShadowserverMapping { self.mappings.withLock { $0.current } }
    private let mappings: Mutex<(current: ShadowserverMapping, loadedAt: Date?)>
    /// Builds the mapping from a loaded schema (the bundled retired types and a site's overlay added).
    private let build: @Sendable (Data) throws -> ShadowserverMapping
    public let batchSize: Int
    public let window: Int64
    /// This pipeline's name as a reader of runs (``IngestLease``).
    public let leaseOwner: String
    /// How long a run's lease holds without a stored batch renewing it.
    public let leaseSeconds: TimeInterval
    /// Where new events go once stored: grouped into incidents. `nil`: events only.
    public let incidents: IncidentService?
    private let now: @Sendable () -> Date

    public init(
        store: Storage, constituency: ConstituencyService, mapping: ShadowserverMapping, batchSize: Int = 5000,
        windowSeconds: Int64 = 86400, incidents: IncidentService? = nil, now: @escaping @Sendable () -> Date = { Date() },
        leaseSeconds: TimeInterval = 120,
        mappingFromSchema: @escaping @Sendable (Data) throws -> ShadowserverMapping = { data in
            try ShadowserverMapping.bundled(schema: data, source: ShadowserverMapping.storedSchemaName)
        }
    ) {
        self.incidents = incidents
        self.store = store
        self.constituency = constituency
        self.mappings = Mutex((mapping, nil))
        self.build = mappingFromSchema
        self.batchSize = max(1, batchSize)
        self.window = max(1, windowSeconds)
        self.now = now
        self.leaseSeconds = max(1, leaseSeconds)
        self.leaseOwner = IngestLease.newOwner()
    }

    /// A lease from now on.
    func lease() -> IngestLease { IngestLease(owner: self.leaseOwner, until: self.now().addingTimeInterval(self.leaseSeconds)) }

    /// Ingests one file.
    ///
    /// - Parameters:
    ///   - open: opens the input; called twice (once to fingerprint it, once to read it).
    ///   - progress: called after each stored batch with the run's counts so far.
    ///   - takeoverLimit: when another process stopped in the middle of the file, how many times it may
    ///     have happened before the file is refused (``IngestError/stoppedRepeatedly(file:times:)``);
    ///     `nil`: no limit. The inbox gives 1: a file that stops two readers is set aside.
    public func ingest(
        fileName: String, format: FeedFormat, feed: String? = nil, source: String, actor: String? = nil, takeoverLimit: Int? = nil,
        open: () throws -> any ChunkReader, progress: @escaping @Sendable (IngestCounts) -> Void = { _ in }
    ) async throws -> IngestSummary {
        let start = try await self.begin(
            fileName: fileName, fingerprint: try Self.fingerprint(try open()), format: format, feed: feed, source: source, actor: actor,
            takeoverLimit: takeoverLimit)
        if start.alreadyIngested {
            // A process stopped between storing the last batch and grouping: group now (it is idempotent).
            try await self.handOver(start.run.id)
            return IngestSummary(
                run: start.run.id, file: fileName, format: start.run.format, feed: start.run.feed, counts: start.run.counts,
                alreadyIngested: true, resumedAfterLine: 0)
        }
        return try await self.process(start.run, format: format, feed: feed, open: open, progress: progress)
    }

    /// Takes up the Shadowserver schema a site loaded (`confianza feeds shadowserver-schema`), if it is
    /// newer than the one in use: one cheap query when nothing changed. A stored schema that no longer
    /// reads (it was checked when loaded) leaves the mapping in use as it is.
    public func refreshMapping() async throws {
        guard let loadedAt = try await self.store.feedSchemaLoadedAt(name: ShadowserverMapping.storedSchemaName),
            self.mappings.withLock({ $0.loadedAt != loadedAt })
        else { return }
        guard let stored = try await self.store.feedSchema(name: ShadowserverMapping.storedSchemaName),
            let mapping = try? self.build(stored.content)
        else { return }
        self.mappings.withLock { $0 = (mapping, stored.loadedAt) }
    }

    /// The run for a file: the one already recorded for the same bytes, format and feed (finished, or to
    /// resume), or a new one. Cheap: callers that answer at once (the API) use it, then ``process``.
    public func begin(
        fileName: String, fingerprint fileHash: String, format: FeedFormat, feed: String?, source: String, actor: String?,
        takeoverLimit: Int? = nil
    ) async throws -> (run: IngestRun, alreadyIngested: Bool) {
        try await self.refreshMapping()
        let feedName: String
        let formatName: String
        switch format {
        case .shadowserver:
            let reportType = self.reportType(fileName: fileName, format: format)
            feedName = feed ?? self.mapping.reports[reportType]?.feed ?? "Shadowserver \(reportType)"
            formatName = "shadowserver:\(reportType)"
        case .intelmq:
            feedName = feed ?? "IntelMQ"
            formatName = "intelmq"
        case .csv(let mapping):
            feedName = feed ?? mapping.feed
            formatName = mapping.publicName.map { "public:\($0)" } ?? "csv:\(mapping.feed)"
        case .mail:
            feedName = feed ?? "Abuse reports"
            formatName = "mail"
        case .xarf:
            feedName = feed ?? "XARF"
            formatName = "xarf"
        case .n6:
            feedName = feed ?? "n6"
            formatName = "n6"
        }
        if let existing = try await self.store.ingestRun(hash: fileHash, format: formatName, feed: feedName) {
            return try await self.claim(existing, takeoverLimit: takeoverLimit)
        }
        let lease = self.lease()
        let run = IngestRun(
            fileName: fileName, fileHash: fileHash, format: formatName, feed: feedName, startedAt: self.now(), source: source, actor: actor,
            leaseOwner: lease.owner, leaseUntil: lease.until)
        do {
            try await self.store.insertIngestRun(run)
        } catch StoreError.duplicate {
            // Another process began the same file a moment ago.
            if let existing = try await self.store.ingestRun(hash: fileHash, format: formatName, feed: feedName) {
                return try await self.claim(existing, takeoverLimit: takeoverLimit)
            }
            throw StoreError.duplicate(field: "file", value: fileName)
        }
        return (run, false)
    }

    /// An existing run: finished (nothing to do), or taken under this pipeline's lease to go on with it —
    /// unless another live process holds it.
    public func claim(_ existing: IngestRun, takeoverLimit: Int?) async throws -> (run: IngestRun, alreadyIngested: Bool) {
        var seen = existing
        for _ in 0..<5 {
            if seen.finishedAt != nil { return (seen, true) }
            guard IngestLease.isFree(owner: seen.leaseOwner, until: seen.leaseUntil, now: self.now(), me: self.leaseOwner) else {
                throw IngestError.busy(file: seen.fileName, owner: seen.leaseOwner ?? "", until: seen.leaseUntil)
            }
            // A lease left by another reader (not given back): that reader stopped in the middle.
            let takeover = seen.leaseOwner.map { $0 != self.leaseOwner } ?? false
            if takeover, let limit = takeoverLimit, seen.takeovers >= limit {
                throw IngestError.stoppedRepeatedly(file: seen.fileName, times: seen.takeovers + 1)
            }
            if let claimed = try await self.store.claimIngestRun(seen, lease: self.lease(), takeover: takeover) { return (claimed, false) }
            // Another process changed it meanwhile: look again.
            guard let now = try await self.store.ingestRun(id: seen.id) else { throw IngestError.unknownRun(seen.id) }
            seen = now
        }
        throw IngestError.busy(file: seen.fileName, owner: seen.leaseOwner ?? "", until: seen.leaseUntil)
    }

    func reportType(fileName: String, format: FeedFormat) -> String {
        switch format {
        case .shadowserver(let given?): self.mapping.canonical(given)
        case .shadowserver(nil), .intelmq, .csv, .mail, .xarf, .n6: self.mapping.reportType(fileName: fileName) ?? "(none in the file name)"
        }
    }

    /// Reads a file into a run begun with ``begin``, from the run's checkpoint on.
    public func process(
        _ started: IngestRun, format: FeedFormat, feed: String?, open: () throws -> any ChunkReader,
        progress: @escaping @Sendable (IngestCounts) -> Void = { _ in }
    ) async throws -> IngestSummary {
        var run = started
        let resumedAfter = run.checkpointLine
        let fileName = run.fileName
        let formatName = run.format
        let feedName = run.feed

        let index = try await self.constituency.index()
        let observed = self.now()
        var parser = self.parser(format, formatName: formatName, feed: feed, observed: observed)
        var batch = Batch()
        var ready: [Batch] = []
        var inFlight: Task<IngestCounts, any Error>?
        let runID = run.id
        let batchSize = self.batchSize

        /// Hands a batch to the store. At most one batch is being stored while the next is parsed, so
        /// parsing and writing overlap and memory stays bounded.
        func submit(_ full: Batch) async throws {
            if let previous = inFlight { _ = try await previous.value }
            let store = self.store
            let lease = self.lease()
            inFlight = Task {
                let counts = try await store.commitIngestBatch(
                    runID: runID, events: Array(full.events.values), quarantine: full.quarantine, read: full.read, repeats: full.repeats,
                    checkpointLine: full.lastLine, lease: lease)
                progress(counts)
                return counts
            }
        }

        let handle: (ParsedRecord) -> Void = { record in
            // A batch ends between lines, never inside one (a record may give several events, as n6
            // objects do: the checkpoint must not fall between them).
            let line = switch record {
            case .event(_, let line): line
            case .rejected(let rejection): rejection.line
            }
            if batch.read >= batchSize, line > batch.lastLine {
                ready.append(batch)
                batch = Batch()
            }
            switch record {
            case .event(let event, let line):
                guard line > resumedAfter else { return }
                batch.add(self.pending(event, index: index, observed: observed), line: line)
            case .rejected(let rejection):
                guard rejection.line > resumedAfter else { return }
                batch.quarantine.append(QuarantinedRecord(line: rejection.line, reason: rejection.reason, raw: rejection.raw))
                batch.read += 1
                batch.lastLine = max(batch.lastLine, rejection.line)
            }
        }

        do {
            var reader = try open()
            while let chunk = try reader.next() {
                // In slices, so a large chunk (an upload) is stored batch by batch as it is parsed.
                for start in stride(from: 0, to: chunk.count, by: 1 << 16) {
                    // A reader with a time limit (the inbox) stops here when it runs out.
                    try Task.checkCancellation()
                    parser.feed(chunk[start..<min(start + (1 << 16), chunk.count)], handle)
                    for full in ready { try await submit(full) }
                    ready.removeAll()
                }
            }
            parser.finish(handle)
            for full in ready { try await submit(full) }
            if batch.read > 0 { try await submit(batch) }
        } catch {
            // Let the batch already handed over finish (it is stored whole, with its checkpoint), so that
            // the run resumes from a known line; then report the failure.
            _ = try? await inFlight?.value
            // Give the run back, so that it may be resumed at once (not counted as a reader that stopped).
            if case StoreError.leaseLost = error {} else { try? await self.store.releaseIngestRun(id: runID, owner: self.leaseOwner) }
            throw error
        }
        var counts = run.counts
        do {
            if let inFlight { counts = try await inFlight.value }
        } catch {
            if case StoreError.leaseLost = error {} else { try? await self.store.releaseIngestRun(id: runID, owner: self.leaseOwner) }
            throw error
        }
        try await self.store.finishIngestRun(id: runID, at: self.now(), header: parser.header, owner: self.leaseOwner)
        try await self.handOver(runID)
        run.counts = counts
        return IngestSummary(
            run: runID, file: fileName, format: formatName, feed: feedName, counts: counts, alreadyIngested: false,
            resumedAfterLine: resumedAfter)
    }

    /// Hands a run's new events to incident handling.
    func handOver(_ runID: UUID) async throws {
        guard let incidents = self.incidents else { return }
        let index = try await self.constituency.index()
        try await incidents.matchIndicators(runID: runID)
        try await incidents.group(runID: runID, organisationNames: index.organisations.mapValues(\.name))
    }

    /// The parser for a format; a Shadowserver report's type is the one recorded in `formatName`.
    func parser(_ format: FeedFormat, formatName: String, feed: String?, observed: Date) -> any FeedParser {
        switch format {
        case .intelmq: IntelMQParser(feedName: feed, observedAt: observed)
        case .mail: MailReportParser(feedName: feed, observedAt: observed)
        case .xarf: XARFParser(feedName: feed, observedAt: observed)
        case .n6: N6Parser(feedName: feed, observedAt: observed)
        case .csv(let custom):
            ShadowserverParser(
                mapping: custom.mapping, reportType: "csv", feedName: feed, observedAt: observed, delimiter: custom.delimiter, columns: custom.names,
                comment: custom.comment, skipInitialSpace: custom.skipInitialSpace)
        case .shadowserver(let given):
            ShadowserverParser(
                mapping: self.mapping, reportType: given ?? String(formatName.dropFirst("shadowserver:".count)), feedName: feed,
                observedAt: observed)
        }
    }

    /// Reads a finished run's quarantined records again, with the mapping as it is now (or another
    /// format given): those that now read become events (stored, or counted on one already stored)
    /// and leave the quarantine; the others stay, with today's reason. Lines read do not change, so
    /// the run still reconciles.
    public func reprocess(runID: UUID, format given: FeedFormat? = nil) async throws -> ReprocessSummary {
        try await self.refreshMapping()
        guard let run = try await self.store.ingestRun(id: runID) else { throw IngestError.unknownRun(runID) }
        guard run.finishedAt != nil else { throw IngestError.runNotFinished(run.fileName) }
        let format: FeedFormat
        if let given {
            format = given
        } else if run.needsMappingFile {
            throw IngestError.needsFormat("\(run.fileName) was read with a CSV mapping file: name it again with csv:MAPPING.json")
        } else {
            do { format = try FeedFormat(run.format) } catch { throw IngestError.needsFormat(error.description) }
        }
        let formatName: String
        if case .shadowserver(nil) = format, run.format.hasPrefix("shadowserver:") {
            formatName = run.format
        } else if case .shadowserver(let type?) = format {
            formatName = "shadowserver:\(self.mapping.canonical(type))"
        } else {
            formatName = run.format
        }
        let needsHeader = if case .shadowserver = format { true } else if case .csv(let custom) = format { custom.names == nil } else { false }
        if needsHeader, run.header == nil {
            throw IngestError.needsFormat("\(run.fileName) has no header recorded: ingest the file again instead")
        }
        // The run's feed name, unless it was only the default one (then the mapping's current one).
        let defaults: Set<String> = [
            "IntelMQ", "Abuse reports", "XARF", "Shadowserver \(formatName.dropFirst("shadowserver:".count))",
            self.mapping.reports[String(formatName.dropFirst("shadowserver:".count))]?.feed ?? "",
        ]
        let feed: String? = if case .csv(let custom) = format, custom.feed == run.feed { nil } else { defaults.contains(run.feed) ? nil : run.feed }
        let index = try await self.constituency.index()
        let observed = self.now()
        var summary = ReprocessSummary(run: runID, examined: 0, resolved: 0, stillQuarantined: 0, counts: run.counts)
        var after = 0
        while true {
            let page = try await self.store.quarantined(runID: runID, afterLine: after, limit: self.batchSize)
            guard let last = page.last else { break }
            after = last.line
            var batch = Batch()
            var resolved: [Int] = []
            var still: [QuarantinedRecord] = []
            for record in page {
                var parser = self.parser(format, formatName: formatName, feed: feed, observed: observed)
                var outputs: [ParsedRecord] = []
                let input = needsHeader ? (run.header ?? "") + "\n" + record.raw + "\n" : record.raw + (format.isLineBased ? "\n" : "")
                parser.feed(Array(input.utf8)) { outputs.append($0) }
                parser.finish { outputs.append($0) }
                switch (outputs.count, outputs.first) {
                case (1, .event(let event, _)?):
                    batch.add(self.pending(event, index: index, observed: observed), line: record.line)
                    resolved.append(record.line)
                case (1, .rejected(let rejection)?):
                    still.append(QuarantinedRecord(line: record.line, reason: rejection.reason, raw: record.raw))
                case (0, _):
                    still.append(QuarantinedRecord(line: record.line, reason: "nothing to read in this record", raw: record.raw))
                default:
                    still.append(QuarantinedRecord(line: record.line, reason: "this record reads as \(outputs.count) records", raw: record.raw))
                }
            }
            summary.counts = try await self.store.commitReprocessed(
                runID: runID, events: Array(batch.events.values), repeats: batch.repeats, resolvedLines: resolved, stillQuarantined: still)
            summary.examined += page.count
            summary.resolved += resolved.count
            summary.stillQuarantined += still.count
        }
        if summary.resolved > 0 { try await self.handOver(runID) }
        return summary
    }

    /// Records of one batch, repeats folded together.
    struct Batch {
        var events: [EventSlot: PendingEvent] = [:]
        var quarantine: [QuarantinedRecord] = []
        var read = 0
        var repeats = 0
        var lastLine = 0

        mutating func add(_ pending: PendingEvent, line: Int) {
            self.read += 1
            self.lastLine = max(self.lastLine, line)
            let slot = EventSlot(key: pending.key, window: pending.window)
            if var existing = self.events[slot] {
                existing.count += 1
                existing.firstSeen = min(existing.firstSeen, pending.firstSeen)
                existing.lastSeen = max(existing.lastSeen, pending.lastSeen)
                self.events[slot] = existing
                self.repeats += 1
            } else {
                self.events[slot] = pending
            }
        }
    }

    /// Classifies, keys and routes one event.
    func pending(_ event: Event, index: ConstituencyIndex, observed: Date) -> PendingEvent {
        let timeSource = event["time.source"].flatMap { EventTime.parse($0.description) }
        let time = timeSource ?? observed
        let seconds = Int64(time.timeIntervalSince1970.rounded(.down))
        let window = (seconds >= 0 ? seconds / self.window : (seconds - self.window + 1) / self.window) * self.window
        // An address, else the host of a URL when it is one (URLhaus lists many http://192.0.2.1:8080/…);
        // a host name, else the URL's host. The URL is read once, and only when the event has one.
        let urlHost = event["source.url"].flatMap { URLComponents(string: $0.description)?.host }
        let address = event["source.ip"].flatMap { try? IPAddress($0.description) }
            ?? urlHost.flatMap { try? IPAddress($0.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))) }
        let asn: UInt32? = if case .integer(let number) = event["source.asn"] { UInt32(exactly: number) } else { nil }
        let domain = event["source.fqdn"]?.description ?? urlHost?.lowercased()
        let network = address == nil ? event["source.network"].flatMap { try? IPPrefix($0.description) } : nil
        let match = index.route(
            address: address, network: network, asn: asn, domain: domain, country: event["source.geolocation.cc"]?.description)
        return PendingEvent(
            event: event, key: event.deduplicationKey(), window: window, count: 1, timeSource: timeSource, firstSeen: time, lastSeen: time,
            organisations: match?.organisations.map(\.id) ?? [], rule: match?.rule.description, sourceAddress: address)
    }

    /// SHA-256 of everything a reader gives.
    public static func fingerprint(_ reader: any ChunkReader) throws -> String {
        var reader = reader
        var hasher = SHA256()
        while let chunk = try reader.next() { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
