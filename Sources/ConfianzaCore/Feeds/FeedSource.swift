import Foundation

/// A feed Confianza fetches itself: a URL on a schedule, an IMAP mailbox, or Shadowserver's Reports API.
/// What it fetches is ingested as ordinary runs; each attempt is a ``FeedFetch``.
public struct FeedSource: Sendable, Equatable, Identifiable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// An HTTP(S) URL, fetched with `ETag`/`If-Modified-Since`.
        case http
        /// An IMAP mailbox over TLS; messages ingested are moved to another folder.
        case imap
        /// Shadowserver's Reports API (list and download calls signed with the account's HMAC secret).
        case shadowserver
    }

    public var id: UUID
    /// Unique; also the feed name of the runs it makes, unless the format names its own (Shadowserver).
    public var name: String
    public var kind: Kind
    /// `https://…` for a URL, `imaps://host:993/INBOX` for a mailbox, the API's base URL for Shadowserver.
    public var location: String
    /// The ingest format (`auto`, `shadowserver`, `intelmq`, `mail`, `xarf`, `n6`, `public:<feed>`).
    public var format: String
    /// The user name (IMAP), the API key (Shadowserver) or a basic-auth user (HTTP); not a secret.
    public var username: String?
    /// Whether a secret (password, HMAC secret, bearer token) is stored. The secret itself is write-only:
    /// only the collector reads it.
    public var hasSecret: Bool
    /// Kind-specific settings: `done` (IMAP folder for ingested messages), `reports` (Shadowserver
    /// report types to fetch, comma-separated, all when empty).
    public var options: [String: String]
    public var everySeconds: Int
    public var enabled: Bool
    /// Largest answer or message accepted, in bytes.
    public var maxBytes: Int
    public var timeoutSeconds: Int
    public var state: FeedSourceState
    public var createdAt: Date
    public var createdBy: String?

    public init(
        id: UUID = UUID(), name: String, kind: Kind, location: String, format: String = "auto", username: String? = nil,
        hasSecret: Bool = false, options: [String: String] = [:], everySeconds: Int = 86400, enabled: Bool = true,
        maxBytes: Int = 200 << 20, timeoutSeconds: Int = 300, state: FeedSourceState = FeedSourceState(), createdAt: Date,
        createdBy: String? = nil
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.location = location
        self.format = format
        self.username = username
        self.hasSecret = hasSecret
        self.options = options
        self.everySeconds = everySeconds
        self.enabled = enabled
        self.maxBytes = maxBytes
        self.timeoutSeconds = timeoutSeconds
        self.state = state
        self.createdAt = createdAt
        self.createdBy = createdBy
    }
}

/// What a collector remembers between fetches.
public struct FeedSourceState: Sendable, Equatable {
    /// The URL's last `ETag` and `Last-Modified`, sent back so an unchanged feed costs one short answer.
    public var etag: String?
    public var lastModified: String?
    public var lastAttemptAt: Date?
    public var lastSuccessAt: Date?
    /// The last fetch that brought something new.
    public var lastDeliveryAt: Date?
    /// Why the last fetch failed (`nil` after a success).
    public var lastError: String?
    /// When the scheduler runs it next.
    public var nextRunAt: Date?
    /// Fetches failed in a row (the retry waits longer each time).
    public var failures: Int
    /// Shadowserver: the last report day fetched in full (`YYYY-MM-DD`).
    public var cursor: String?

    public init(
        etag: String? = nil, lastModified: String? = nil, lastAttemptAt: Date? = nil, lastSuccessAt: Date? = nil, lastDeliveryAt: Date? = nil,
        lastError: String? = nil, nextRunAt: Date? = nil, failures: Int = 0, cursor: String? = nil
    ) {
        self.etag = etag
        self.lastModified = lastModified
        self.lastAttemptAt = lastAttemptAt
        self.lastSuccessAt = lastSuccessAt
        self.lastDeliveryAt = lastDeliveryAt
        self.lastError = lastError
        self.nextRunAt = nextRunAt
        self.failures = failures
        self.cursor = cursor
    }
}

/// One attempt of a collector.
public struct FeedFetch: Sendable, Equatable, Identifiable {
    public enum Outcome: String, Sendable, Codable {
        /// Something new was fetched and ingested.
        case delivered
        /// The source had nothing new (`304 Not Modified`, an empty mailbox, no new report).
        case unchanged
        case failed
    }

    public var id: UUID
    public var feedID: UUID
    public var startedAt: Date
    public var finishedAt: Date
    public var outcome: Outcome
    /// The ingest runs it made, in order.
    public var runs: [UUID]
    public var bytes: Int64
    /// Why it failed, or what it skipped (a message left in the mailbox, flagged).
    public var detail: String?

    public init(
        id: UUID = UUID(), feedID: UUID, startedAt: Date, finishedAt: Date, outcome: Outcome, runs: [UUID] = [], bytes: Int64 = 0,
        detail: String? = nil
    ) {
        self.id = id
        self.feedID = feedID
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.runs = runs
        self.bytes = bytes
        self.detail = detail
    }
}

/// A report schema a site loaded (Shadowserver's, newer than the bundled one).
public struct StoredFeedSchema: Sendable, Equatable {
    public var name: String
    /// The schema's own revision (Shadowserver's `_meta.date_created`).
    public var revision: String?
    public var content: Data
    public var loadedAt: Date
    public var loadedBy: String?

    public init(name: String, revision: String?, content: Data, loadedAt: Date, loadedBy: String?) {
        self.name = name
        self.revision = revision
        self.content = content
        self.loadedAt = loadedAt
        self.loadedBy = loadedBy
    }
}

/// One feed's ingest runs on one day (UTC), for the feed health page.
public struct FeedDay: Sendable, Equatable {
    public var feed: String
    /// Days since 1970-01-01 (UTC).
    public var day: Int
    public var runs: Int
    public var read: Int
    /// Events received: stored plus duplicates.
    public var events: Int
    public var quarantined: Int
    public var lastStartedAt: Date

    public init(feed: String, day: Int, runs: Int, read: Int, events: Int, quarantined: Int, lastStartedAt: Date) {
        self.feed = feed
        self.day = day
        self.runs = runs
        self.read = read
        self.events = events
        self.quarantined = quarantined
        self.lastStartedAt = lastStartedAt
    }
}

/// Storage for collected feeds, their fetches and leases, loaded schemas, and deliveries by day.
public protocol FeedSourceStore: Sendable {
    /// Throws ``StoreError/duplicate(field:value:)`` when the name is taken.
    func insertFeedSource(_ source: FeedSource, secret: String?) async throws
    /// By name.
    func feedSources() async throws -> [FeedSource]
    func feedSource(id: UUID) async throws -> FeedSource?
    func feedSource(named name: String) async throws -> FeedSource?
    /// The stored secret, for the collector only.
    func feedSecret(id: UUID) async throws -> String?
    /// Turns a feed on or off; `nil` when there is none.
    func setFeedSource(id: UUID, enabled: Bool, nextRunAt: Date?) async throws -> FeedSource?
    /// Removes a feed and its fetch history (its ingest runs and events stay); `false` when there is none.
    func removeFeedSource(id: UUID) async throws -> Bool
    /// Enabled feeds whose next run is due at `date`, soonest first.
    func dueFeedSources(at date: Date) async throws -> [FeedSource]
    /// Takes the feed's lease for `owner` until `until` if nobody else holds a live one: with several
    /// servers on one database, each fetch runs once. `false` when another holds it.
    func leaseFeedSource(id: UUID, owner: String, at date: Date, until: Date) async throws -> Bool
    /// Records a fetch, stores the feed's new state and gives the lease back, in one transaction.
    func finishFeedFetch(_ fetch: FeedFetch, state: FeedSourceState, owner: String) async throws
    /// Newest first.
    func feedFetches(feedID: UUID, limit: Int) async throws -> [FeedFetch]

    func feedSchema(name: String) async throws -> StoredFeedSchema?
    /// When the stored schema was loaded (cheap: to know whether a cached one is stale).
    func feedSchemaLoadedAt(name: String) async throws -> Date?
    func saveFeedSchema(_ schema: StoredFeedSchema) async throws
    /// Ingest runs by feed and day since `date`.
    func feedDays(since date: Date) async throws -> [FeedDay]
}
