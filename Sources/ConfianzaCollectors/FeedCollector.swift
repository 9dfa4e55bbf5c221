import ConfianzaCore
import ConfianzaFeeds
import Foundation
import Logging

/// Runs collected feeds: takes a feed's lease, fetches what is new, ingests it as ordinary runs, and
/// records the fetch with the feed's state (next run, `ETag`, error) in one step. A failed fetch is
/// retried sooner than the schedule (2, 4, 8 … minutes, never later than the schedule).
public final class FeedCollector: Sendable {
    public typealias Storage = any FeedSourceStore & AuditStore & EventStore

    public let store: Storage
    public let pipeline: IngestPipeline
    public let http: HTTPFetcher
    public let mailboxes: MailboxCollector
    public let shadowserver: ShadowserverAPICollector
    /// Names this process in leases (host, process, a random part).
    public let owner: String
    let workDirectory: URL
    let now: @Sendable () -> Date
    let logger: Logger

    public init(
        store: Storage, pipeline: IngestPipeline, http: HTTPFetcher, caFile: String? = nil, workDirectory: URL? = nil,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "confianza.collector")
    ) {
        self.store = store
        self.pipeline = pipeline
        self.http = http
        self.mailboxes = MailboxCollector(caFile: caFile)
        self.shadowserver = ShadowserverAPICollector()
        self.owner = "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(UUID().uuidString.prefix(8))"
        self.workDirectory = workDirectory ?? FileManager.default.temporaryDirectory
        self.now = now
        self.logger = logger
    }

    /// What one fetch brought.
    struct Collected {
        var outcome: FeedFetch.Outcome
        var runs: [UUID] = []
        var bytes: Int64 = 0
        var detail: String?
    }

    /// Fetches one feed now. Throws ``CollectorError/busy`` when another server holds its lease; a failed
    /// fetch is not thrown but recorded (and returned) with its reason.
    @discardableResult
    public func run(_ source: FeedSource) async throws -> FeedFetch {
        let started = self.now()
        let leaseSeconds = TimeInterval(source.timeoutSeconds + 120)
        guard try await self.store.leaseFeedSource(id: source.id, owner: self.owner, at: started, until: started.addingTimeInterval(leaseSeconds))
        else { throw CollectorError.busy }
        var state = source.state
        state.lastAttemptAt = started
        let collected: Collected
        do {
            let secret = source.hasSecret ? try await self.store.feedSecret(id: source.id) : nil
            switch source.kind {
            case .http: collected = try await self.collectURL(source, secret: secret, state: &state)
            case .imap: collected = try await self.mailboxes.collect(source, secret: secret, into: self)
            case .shadowserver: collected = try await self.shadowserver.collect(source, secret: secret, state: &state, into: self)
            }
            let finished = self.now()
            state.lastSuccessAt = finished
            state.lastError = collected.outcome == .failed ? collected.detail : nil
            state.failures = 0
            if collected.outcome == .delivered { state.lastDeliveryAt = finished }
            state.nextRunAt = finished.addingTimeInterval(TimeInterval(source.everySeconds))
        } catch {
            let reason = (error as? CollectorError)?.description ?? String(describing: error)
            collected = Collected(outcome: .failed, detail: reason)
            state.failures += 1
            state.lastError = reason
            let retry = min(Double(source.everySeconds), 60 * pow(2, Double(min(state.failures, 10))))
            state.nextRunAt = self.now().addingTimeInterval(retry)
            self.logger.warning("feed fetch failed", metadata: ["feed": "\(source.name)", "reason": "\(reason)"])
        }
        let fetch = FeedFetch(
            feedID: source.id, startedAt: started, finishedAt: self.now(), outcome: collected.outcome, runs: collected.runs, bytes: collected.bytes,
            detail: collected.detail)
        try await self.store.finishFeedFetch(fetch, state: state, owner: self.owner)
        return fetch
    }

    /// Every feed due now, one after the other (a modest machine fetches one thing at a time).
    public func runDue() async throws -> [FeedFetch] {
        var fetches: [FeedFetch] = []
        for source in try await self.store.dueFeedSources(at: self.now()) {
            try Task.checkCancellation()
            do { fetches.append(try await self.run(source)) } catch CollectorError.busy { continue }
        }
        return fetches
    }

    private func collectURL(_ source: FeedSource, secret: String?, state: inout FeedSourceState) async throws -> Collected {
        var request = HTTPFetcher.Request(url: source.location, maxBytes: source.maxBytes, timeoutSeconds: source.timeoutSeconds)
        request.etag = state.etag
        request.lastModified = state.lastModified
        request.user = source.username
        request.secret = secret
        switch try await self.http.fetch(request, into: self.workDirectory) {
        case .notModified:
            return Collected(outcome: .unchanged, detail: nil)
        case .fetched(let body):
            defer { try? FileManager.default.removeItem(at: body.file) }
            let summary = try await self.ingest(file: body.file.path, fileName: body.fileName, source: source, feed: source.name)
            state.etag = body.etag
            state.lastModified = body.lastModified
            return Collected(
                outcome: summary.alreadyIngested ? .unchanged : .delivered, runs: [summary.run], bytes: body.bytes,
                detail: summary.alreadyIngested ? nil : "\(summary.counts.read) lines: \(summary.counts.stored) new events, \(summary.counts.duplicates) repeats, \(summary.counts.quarantined) quarantined")
        }
    }

    /// Ingests one fetched file as an ordinary run (the same bytes twice are one run).
    func ingest(file path: String, fileName: String, source: FeedSource, feed: String?) async throws -> IngestSummary {
        let format: FeedFormat
        if source.format == "auto" {
            format = FeedFormat.guess(fileName: fileName, head: Self.head(path))
        } else {
            do { format = try FeedFormat(source.format) } catch { throw CollectorError.ingest("the feed's format: \(error.description)") }
        }
        return try await self.pipeline.ingest(
            fileName: fileName, format: format, feed: feed, source: "collector", actor: source.name, open: { try FileChunks(path: path) })
    }

    static func head(_ path: String) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 65536)).map { Array($0) } ?? []
    }
}
