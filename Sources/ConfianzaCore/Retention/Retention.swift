import Foundation

/// How long each class of data is kept. Incidents, their timelines and the audit log are kept for good;
/// so are events attached to an incident or sighted by an indicator (an incident's evidence does not go
/// when its events' days do). Expired sessions and TAXII statuses go as they always have, on their own.
public struct RetentionPolicy: Sendable, Equatable, CustomStringConvertible {
    /// Days each class is kept; `nil`: kept for good.
    public var events: Int?
    public var quarantine: Int?
    public var mailBodies: Int?

    public init(events: Int? = 180, quarantine: Int? = 30, mailBodies: Int? = 90) {
        self.events = events
        self.quarantine = quarantine
        self.mailBodies = mailBodies
    }

    public static let standard = RetentionPolicy()

    /// The classes, by the names the setting uses.
    public enum DataClass: String, Sendable, CaseIterable {
        /// Feed events, by the last time each was seen.
        case events
        /// Quarantined lines, by the start of their ingest run (the run's counts stay).
        case quarantine
        /// Bodies and attachments of notices sent, by when they were sent (who, when and the subject stay).
        case mail
    }

    public func days(_ dataClass: DataClass) -> Int? {
        switch dataClass {
        case .events: self.events
        case .quarantine: self.quarantine
        case .mail: self.mailBodies
        }
    }

    /// Reads `events=180d,quarantine=30d,mail=90d` (any of them; the others keep their default); a
    /// class is kept for good with `keep`.
    public static func parse(_ text: String) throws(RetentionError) -> RetentionPolicy {
        var policy = RetentionPolicy.standard
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw .invalid(text, "give one or more of events=180d, quarantine=30d, mail=90d (or keep)") }
        var seen: Set<String> = []
        for part in trimmed.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, let dataClass = DataClass(rawValue: pair[0].lowercased()) else {
                throw .invalid(String(part), "each part is CLASS=DAYS with CLASS one of events, quarantine, mail")
            }
            guard seen.insert(dataClass.rawValue).inserted else { throw .invalid(String(part), "\(dataClass.rawValue) is given twice") }
            let value = pair[1].lowercased()
            let days: Int?
            if value == "keep" {
                days = nil
            } else {
                let digits = value.hasSuffix("d") ? String(value.dropLast()) : value
                guard let number = Int(digits), number >= 1, number <= 36_500 else {
                    throw .invalid(String(part), "a duration is a number of days from 1 to 36500, such as 180d, or keep")
                }
                days = number
            }
            switch dataClass {
            case .events: policy.events = days
            case .quarantine: policy.quarantine = days
            case .mail: policy.mailBodies = days
            }
        }
        return policy
    }

    public var description: String {
        DataClass.allCases.map { "\($0.rawValue)=\(self.days($0).map { "\($0)d" } ?? "keep")" }.joined(separator: ",")
    }

    /// The moment before which a class's data goes, on `now`; `nil` when it is kept for good.
    public func cutoff(_ dataClass: DataClass, now: Date) -> Date? {
        self.days(dataClass).map { now.addingTimeInterval(-Double($0) * 86400) }
    }
}

public enum RetentionError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(String, String)

    public var description: String {
        switch self {
        case .invalid(let given, let reason): "retention '\(given)': \(reason)"
        }
    }
}

/// What a retention run took away (or, dry, would).
public struct RetentionCounts: Sendable, Equatable, Codable {
    public var events: Int
    public var quarantine: Int
    public var mailBodies: Int
    /// Events past their days kept because an incident or an indicator sighting holds them.
    public var eventsKept: Int

    public init(events: Int = 0, quarantine: Int = 0, mailBodies: Int = 0, eventsKept: Int = 0) {
        self.events = events
        self.quarantine = quarantine
        self.mailBodies = mailBodies
        self.eventsKept = eventsKept
    }
}

/// One retention run, as recorded.
public struct RetentionRun: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var at: Date
    public var dryRun: Bool
    public var policy: String
    public var counts: RetentionCounts
    public var seconds: Double
    public var actor: String?

    public init(id: UUID = UUID(), at: Date, dryRun: Bool, policy: String, counts: RetentionCounts, seconds: Double, actor: String?) {
        self.id = id
        self.at = at
        self.dryRun = dryRun
        self.policy = policy
        self.counts = counts
        self.seconds = seconds
        self.actor = actor
    }
}

/// Storage for retention.
public protocol RetentionStore: Sendable {
    /// Removes (or, `dryRun`, counts) what is older than each cutoff; `nil` cutoffs remove nothing.
    /// Works in slices of a few thousand rows, each its own transaction, so that ingests go on meanwhile.
    func applyRetention(eventsBefore: Date?, quarantineBefore: Date?, mailBefore: Date?, dryRun: Bool) async throws -> RetentionCounts
    func recordRetentionRun(_ run: RetentionRun) async throws
    /// Newest first.
    func retentionRuns(limit: Int) async throws -> [RetentionRun]
}

/// Runs the retention policy: from `serve` once a day and from `confianza retention run`.
public struct RetentionService: Sendable {
    public typealias Storage = any RetentionStore & AuditStore
    public let store: Storage
    public let policy: RetentionPolicy
    private let now: @Sendable () -> Date

    public init(store: Storage, policy: RetentionPolicy, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.policy = policy
        self.now = now
    }

    /// Applies the policy (or, `dryRun`, says what it would take), records the run and audits it.
    @discardableResult
    public func run(dryRun: Bool, by actor: String?, address: String?) async throws -> RetentionRun {
        let started = self.now()
        let clock = ContinuousClock.now
        let counts = try await self.store.applyRetention(
            eventsBefore: self.policy.cutoff(.events, now: started), quarantineBefore: self.policy.cutoff(.quarantine, now: started),
            mailBefore: self.policy.cutoff(.mail, now: started), dryRun: dryRun)
        let elapsed = ContinuousClock.now - clock
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let run = RetentionRun(at: started, dryRun: dryRun, policy: self.policy.description, counts: counts, seconds: seconds, actor: actor)
        try await self.store.recordRetentionRun(run)
        try await self.store.appendAudit(
            AuditEvent(
                at: started, actor: actor, action: dryRun ? .retentionDryRun : .retentionRun, target: self.policy.description, address: address,
                detail: "events \(counts.events) (kept as evidence \(counts.eventsKept)), quarantined lines \(counts.quarantine), "
                    + "mail bodies \(counts.mailBodies)"))
        return run
    }

    /// Whether a real run is due: none in the last 23 hours (several servers on one database run it once a day between them).
    public func isDue() async throws -> Bool {
        let last = try await self.store.retentionRuns(limit: 20).first { !$0.dryRun }
        return last.map { self.now().timeIntervalSince($0.at) >= 23 * 3600 } ?? true
    }
}
