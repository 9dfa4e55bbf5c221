import ConfianzaNetwork
import Foundation

/// Lines read, and what became of each: stored as a new event, counted on an existing one, or
/// quarantined. `read == stored + duplicates + quarantined`, always.
public struct IngestCounts: Sendable, Equatable, Codable {
    public var read: Int
    public var stored: Int
    public var duplicates: Int
    public var quarantined: Int

    public init(read: Int = 0, stored: Int = 0, duplicates: Int = 0, quarantined: Int = 0) {
        self.read = read
        self.stored = stored
        self.duplicates = duplicates
        self.quarantined = quarantined
    }

    public var reconciles: Bool { self.read == self.stored + self.duplicates + self.quarantined }

    public static func + (lhs: IngestCounts, rhs: IngestCounts) -> IngestCounts {
        IngestCounts(
            read: lhs.read + rhs.read, stored: lhs.stored + rhs.stored, duplicates: lhs.duplicates + rhs.duplicates,
            quarantined: lhs.quarantined + rhs.quarantined)
    }
}

/// One ingestion of one file. The same content, format and feed is one run: ingesting it again
/// resumes it (after a crash) or does nothing (when it finished).
public struct IngestRun: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var fileName: String
    /// SHA-256 of the file's bytes.
    public var fileHash: String
    public var format: String
    public var feed: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var counts: IngestCounts
    /// The last line whose record is stored or quarantined.
    public var checkpointLine: Int
    /// `cli`, `api` or `inbox`.
    public var source: String
    public var actor: String?
    /// The file's header record (CSV formats), kept so that quarantined rows can be read again.
    public var header: String?
    /// The process reading the run (``IngestLease``), while it is read; until when, unless it renews.
    public var leaseOwner: String?
    public var leaseUntil: Date?
    /// How many times another process went on with the run after the one reading it stopped.
    public var takeovers: Int

    public init(
        id: UUID = UUID(), fileName: String, fileHash: String, format: String, feed: String, startedAt: Date, finishedAt: Date? = nil,
        counts: IngestCounts = IngestCounts(), checkpointLine: Int = 0, source: String, actor: String? = nil, header: String? = nil,
        leaseOwner: String? = nil, leaseUntil: Date? = nil, takeovers: Int = 0
    ) {
        self.header = header
        self.leaseOwner = leaseOwner
        self.leaseUntil = leaseUntil
        self.takeovers = takeovers
        self.id = id
        self.fileName = fileName
        self.fileHash = fileHash
        self.format = format
        self.feed = feed
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.counts = counts
        self.checkpointLine = checkpointLine
        self.source = source
        self.actor = actor
    }

    /// Its records are read with a mapping file (`csv:…`), which only the command line is given: its
    /// quarantine is re-processed there (`confianza quarantine reprocess`), not from the pages or the API.
    public var needsMappingFile: Bool { self.format.hasPrefix("csv:") }
}

/// An event ready to store: its de-duplication key and window, how often it was seen in the batch,
/// and who it was routed to.
public struct PendingEvent: Sendable, Equatable {
    public var event: Event
    public var key: DeduplicationKey
    /// Start of the de-duplication window (seconds since 1970).
    public var window: Int64
    public var count: Int
    /// The event's own time (`time.source`), when it has one, read once by the pipeline.
    public var timeSource: Date?
    public var firstSeen: Date
    public var lastSeen: Date
    public var organisations: [UUID]
    public var rule: String?
    /// `source.ip`, read once by the pipeline (for routing, then for the store's address index).
    public var sourceAddress: IPAddress?

    public init(
        event: Event, key: DeduplicationKey, window: Int64, count: Int, timeSource: Date? = nil, firstSeen: Date, lastSeen: Date,
        organisations: [UUID], rule: String?, sourceAddress: IPAddress? = nil
    ) {
        self.sourceAddress = sourceAddress
        self.event = event
        self.timeSource = timeSource
        self.key = key
        self.window = window
        self.count = count
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.organisations = organisations
        self.rule = rule
    }
}

/// A record kept aside, with why.
public struct QuarantinedRecord: Sendable, Equatable {
    public var line: Int
    public var reason: String
    public var raw: String

    /// A NUL character (which PostgreSQL keeps in no text, and SQLite cuts text at) is kept as U+FFFD,
    /// the character that stands for one that could not be kept.
    public init(line: Int, reason: String, raw: String) {
        self.line = line
        self.reason = Self.keepable(reason)
        self.raw = Self.keepable(raw)
    }

    static func keepable(_ text: String) -> String {
        text.utf8.contains(0) ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text
    }
}

/// A stored event.
public struct StoredEvent: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var event: Event
    public var count: Int
    public var firstSeen: Date
    public var lastSeen: Date
    public var organisations: [UUID]
    public var rule: String?
    public var runID: UUID

    public init(
        id: Int64, event: Event, count: Int, firstSeen: Date, lastSeen: Date, organisations: [UUID], rule: String?, runID: UUID
    ) {
        self.id = id
        self.event = event
        self.count = count
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.organisations = organisations
        self.rule = rule
        self.runID = runID
    }
}

/// Storage for ingestion: runs, events, quarantine.
public protocol EventStore: Sendable {
    func ingestRun(hash: String, format: String, feed: String) async throws -> IngestRun?
    func ingestRun(id: UUID) async throws -> IngestRun?
    func insertIngestRun(_ run: IngestRun) async throws
    /// Stores one batch in one transaction: new events, counts raised on events already stored in the
    /// same window, quarantined records, the run's counts and its checkpoint.
    ///
    /// - Parameters:
    ///   - read: records of the batch (events before aggregation plus quarantined).
    ///   - repeats: records that were repeats of another record of the same batch (so an event whose
    ///     `count` is n brings n − 1 of them).
    /// - Returns: the run's counts after the batch.
    ///   - lease: the reader's lease, renewed by the batch; a batch whose reader no longer holds the run's
    ///     lease is not stored (``StoreError/leaseLost(_:)``), so that two processes never both count it.
    func commitIngestBatch(
        runID: UUID, events: [PendingEvent], quarantine: [QuarantinedRecord], read: Int, repeats: Int, checkpointLine: Int, lease: IngestLease
    ) async throws -> IngestCounts
    /// Takes an unfinished run's lease if it is still as `seen` (compare and set); `takeover` counts one
    /// more takeover. Returns the run as it is now, or `nil` when another process changed it first.
    func claimIngestRun(_ seen: IngestRun, lease: IngestLease, takeover: Bool) async throws -> IngestRun?
    /// Gives a run's lease back (the reader stopped on an error, and the run may be resumed at once).
    func releaseIngestRun(id: UUID, owner: String) async throws
    /// Marks a run finished, keeping the file's header record (if it had one), and ends its lease.
    func finishIngestRun(id: UUID, at date: Date, header: String?, owner: String) async throws
    /// Newest first.
    func ingestRuns(limit: Int) async throws -> [IngestRun]
    /// A run's quarantined records after a line, by line.
    func quarantined(runID: UUID, afterLine: Int, limit: Int) async throws -> [QuarantinedRecord]
    /// Stores what re-processing quarantined records gave, in one transaction: events as
    /// ``commitIngestBatch`` does, the records now read taken out of quarantine, the reasons of those
    /// still refused brought up to date, and the run's counts moved from quarantined to stored and
    /// duplicates (lines read do not change).
    func commitReprocessed(
        runID: UUID, events: [PendingEvent], repeats: Int, resolvedLines: [Int], stillQuarantined: [QuarantinedRecord]
    ) async throws -> IngestCounts
    func eventCount() async throws -> Int
    /// Newest first (by time of the event).
    func latestEvents(limit: Int) async throws -> [StoredEvent]
    /// Events matching every given filter, newest first.
    func events(matching query: EventQuery) async throws -> [StoredEvent]
    func event(id: Int64) async throws -> StoredEvent?
}

extension EventStore {
    public func quarantined(runID: UUID, limit: Int) async throws -> [QuarantinedRecord] {
        try await self.quarantined(runID: runID, afterLine: 0, limit: limit)
    }
}

/// Where an event stands in a listing (newest sighting first, then highest id).
public struct EventPosition: Sendable, Equatable {
    public var lastSeen: Date
    public var id: Int64

    public init(lastSeen: Date, id: Int64) {
        self.lastSeen = lastSeen
        self.id = id
    }

    public init(_ event: StoredEvent) { self.init(lastSeen: event.lastSeen, id: event.id) }
}

/// Filters for listing events; `nil` means any.
public struct EventQuery: Sendable, Equatable {
    public var feed: String?
    public var taxonomy: String?
    public var classificationType: String?
    public var severity: String?
    public var organisation: UUID?
    /// Events whose `source.ip` is in this network (a single address is a /32 or /128).
    public var network: IPPrefix?
    public var asn: Int64?
    /// Events seen at or after this time (their last sighting).
    public var since: Date?
    /// Events seen before this time (their first sighting).
    public var until: Date?
    public var limit: Int
    public var offset: Int
    /// Only events listed after this one (newest first: an older sighting, or the same with a lower
    /// id): a cursor that stays right while events are added, for reading a whole search in pages.
    public var after: EventPosition?

    public init(
        feed: String? = nil, taxonomy: String? = nil, classificationType: String? = nil, severity: String? = nil, organisation: UUID? = nil,
        network: IPPrefix? = nil, asn: Int64? = nil, since: Date? = nil, until: Date? = nil, limit: Int = 100, offset: Int = 0
    ) {
        self.feed = feed
        self.taxonomy = taxonomy
        self.classificationType = classificationType
        self.severity = severity
        self.organisation = organisation
        self.network = network
        self.asn = asn
        self.since = since
        self.until = until
        self.limit = limit
        self.offset = offset
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
