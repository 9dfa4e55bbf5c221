import Foundation

/// A feed to collect, as a person types it (command line, form, API).
public struct FeedSourceDraft: Sendable, Equatable {
    public var name: String
    public var kind: String
    public var location: String
    public var format: String
    public var username: String
    /// Empty: none (or, on a change, keep the one stored).
    public var secret: String
    public var every: String
    public var maxMegabytes: String
    public var timeoutSeconds: String
    public var done: String
    public var reports: String

    public init(
        name: String, kind: String, location: String, format: String = "auto", username: String = "", secret: String = "", every: String = "1d",
        maxMegabytes: String = "200", timeoutSeconds: String = "300", done: String = "", reports: String = ""
    ) {
        self.name = name
        self.kind = kind
        self.location = location
        self.format = format
        self.username = username
        self.secret = secret
        self.every = every
        self.maxMegabytes = maxMegabytes
        self.timeoutSeconds = timeoutSeconds
        self.done = done
        self.reports = reports
    }
}

public enum FeedSourceError: ExplainedError, Equatable {
    case invalid(field: String, value: String, reason: Refusal)
    case duplicate(String)
    case notFound(String)

    public var description: String {
        switch self {
        case .invalid(let field, let value, let reason): "\(field) '\(value)': \(reason.english)"
        case .duplicate(let name): "a feed named '\(name)' already exists"
        case .notFound(let name): "no feed named '\(name)'"
        }
    }

    public var phrase: Phrase? {
        switch self {
        case .invalid(let field, let value, let reason): reason.phrase(["field": field, "value": value])
        case .duplicate(let name): Phrase("feeds.error.duplicate", ["name": name])
        case .notFound(let name): Phrase("feeds.error.not_found", ["name": name])
        }
    }

    public var field: String? {
        if case .invalid(let field, _, _) = self { return field }
        return nil
    }
}

/// Adds, lists, turns on and off, and removes collected feeds; every change is audited.
public struct FeedSourceService: Sendable {
    public typealias Storage = any FeedSourceStore & AuditStore
    public let store: Storage
    let now: @Sendable () -> Date

    public init(store: Storage, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.now = now
    }

    /// Formats a collected feed may have; `public:<name>` feeds are checked by the caller that knows them.
    public static let formats = ["auto", "shadowserver", "intelmq", "mail", "xarf", "n6"]

    /// `30m`, `6h`, `1d`, `7d` or seconds: between 5 minutes and 30 days.
    public static func seconds(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let unit = trimmed.last else { return nil }
        let scale: Int
        var digits = Substring(trimmed)
        switch unit {
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86400
        case "s": scale = 1
        default: scale = 1
        }
        if !unit.isNumber { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy(\.isNumber), digits.count <= 7, let value = Int(digits) else { return nil }
        let seconds = value * scale
        return (300...30 * 86400).contains(seconds) ? seconds : nil
    }

    /// Checks a draft. `publicFeed` gives the published address of a bundled public feed (`public:<name>`),
    /// `nil` when there is none of that name: a URL feed of one needs no address of its own.
    public static func validate(
        _ draft: FeedSourceDraft, publicFeed: (String) -> String?, createdBy: String?, now: Date
    ) throws(FeedSourceError)
        -> (FeedSource, secret: String?)
    {
        func refuse(_ field: String, _ value: String, _ key: String, _ english: String) -> FeedSourceError {
            .invalid(field: field, value: String(value.prefix(200)), reason: Refusal("feeds.refusal.\(key)", english: english))
        }
        let name = draft.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 100, !name.contains(where: { $0.isNewline || $0.unicodeScalars.contains { $0.value < 32 } }) else {
            throw refuse("name", draft.name, "name", "a feed needs a name of 1 to 100 characters on one line")
        }
        guard let kind = FeedSource.Kind(rawValue: draft.kind.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw refuse("kind", draft.kind, "kind", "the kind is http, imap or shadowserver")
        }
        var format = draft.format.trimmingCharacters(in: .whitespaces).lowercased()
        if format.isEmpty { format = kind == .shadowserver ? "shadowserver" : "auto" }
        let publicAddress = format.hasPrefix("public:") ? publicFeed(String(format.dropFirst(7))) : nil
        var location = draft.location.trimmingCharacters(in: .whitespaces)
        if kind == .http, location.isEmpty, let publicAddress { location = publicAddress }
        let url = URLComponents(string: location)
        let scheme = url?.scheme?.lowercased() ?? ""
        switch kind {
        case .http, .shadowserver:
            if kind == .shadowserver && location.isEmpty { location = "https://transform.shadowserver.org/api2/" }
            guard let url = URLComponents(string: location), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), !(url.host ?? "").isEmpty else {
                throw refuse("location", location, "url", "the address must be an http:// or https:// URL")
            }
            if url.user != nil || url.password != nil {
                throw refuse("location", "(hidden)", "credentials_in_url", "put the user name and the secret in their own fields, not in the address")
            }
        case .imap:
            guard ["imap", "imaps"].contains(scheme), !(url?.host ?? "").isEmpty else {
                throw refuse("location", location, "imap", "a mailbox address looks like imaps://mail.example.net:993/INBOX")
            }
            if url?.user != nil || url?.password != nil {
                throw refuse("location", "(hidden)", "credentials_in_url", "put the user name and the secret in their own fields, not in the address")
            }
        }
        let formatKnown = Self.formats.contains(format) || (format.hasPrefix("shadowserver:") && format.count > 13) || publicAddress != nil
        guard formatKnown else {
            throw refuse("format", draft.format, "format", "the format is auto, shadowserver, shadowserver:TYPE, intelmq, mail, xarf, n6 or public:FEED")
        }
        guard let every = Self.seconds(draft.every) else {
            throw refuse("every", draft.every, "every", "how often: 30m, 6h, 1d or 7d (between 5 minutes and 30 days)")
        }
        guard let megabytes = Int(draft.maxMegabytes.trimmingCharacters(in: .whitespaces)), (1...2048).contains(megabytes) else {
            throw refuse("max_megabytes", draft.maxMegabytes, "max_megabytes", "the size limit is 1 to 2048 megabytes")
        }
        guard let timeout = Int(draft.timeoutSeconds.trimmingCharacters(in: .whitespaces)), (10...3600).contains(timeout) else {
            throw refuse("timeout", draft.timeoutSeconds, "timeout", "the time limit is 10 to 3600 seconds")
        }
        let username = draft.username.trimmingCharacters(in: .whitespaces)
        let secret = draft.secret.isEmpty ? nil : draft.secret
        if kind == .imap, username.isEmpty || secret == nil {
            throw refuse("username", username, "imap_login", "a mailbox needs its user name and password")
        }
        if kind == .shadowserver, username.isEmpty || secret == nil {
            throw refuse("username", username, "shadowserver_key", "Shadowserver's API needs the account's API key (user name) and secret")
        }
        if username.count > 200 || (secret?.count ?? 0) > 1000 || username.contains(where: \.isNewline) || (secret?.contains(where: \.isNewline) ?? false) {
            throw refuse("username", username, "credentials", "the user name or secret is too long or holds a line break")
        }
        var options: [String: String] = [:]
        let done = draft.done.trimmingCharacters(in: .whitespaces)
        if kind == .imap, !done.isEmpty {
            guard done.count <= 200, !done.contains(where: { $0.isNewline || $0 == "\"" || $0 == "\\" }) else {
                throw refuse("done", done, "done", "the done folder is a folder name without quotes or line breaks")
            }
            options["done"] = done
        }
        let reports = draft.reports.trimmingCharacters(in: .whitespaces)
        if kind == .shadowserver, !reports.isEmpty {
            guard reports.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "," || $0 == "-" || $0 == "_" || $0 == " " }) else {
                throw refuse("reports", reports, "reports", "Shadowserver report lists are names separated by commas")
            }
            options["reports"] = reports
        }
        let source = FeedSource(
            name: name, kind: kind, location: location, format: format, username: username.isEmpty ? nil : username, hasSecret: secret != nil,
            options: options, everySeconds: every, maxBytes: megabytes << 20, timeoutSeconds: timeout, state: FeedSourceState(nextRunAt: now),
            createdAt: now, createdBy: createdBy)
        return (source, secret)
    }

    public func add(
        _ draft: FeedSourceDraft, publicFeed: (String) -> String?, by actor: String?, address: String?
    ) async throws -> FeedSource {
        let (source, secret) = try Self.validate(draft, publicFeed: publicFeed, createdBy: actor, now: self.now())
        do { try await self.store.insertFeedSource(source, secret: secret) } catch StoreError.duplicate {
            throw FeedSourceError.duplicate(source.name)
        }
        try await self.store.appendAudit(
            AuditEvent(
                at: self.now(), actor: actor, action: .feedAdded, target: source.name, address: address,
                detail: "\(source.kind.rawValue) \(Self.redacted(source.location)), format \(source.format), every \(source.everySeconds) s"))
        return source
    }

    public func remove(named name: String, by actor: String?, address: String?) async throws {
        guard let source = try await self.store.feedSource(named: name), try await self.store.removeFeedSource(id: source.id) else {
            throw FeedSourceError.notFound(name)
        }
        try await self.store.appendAudit(AuditEvent(at: self.now(), actor: actor, action: .feedRemoved, target: name, address: address))
    }

    public func setEnabled(named name: String, _ enabled: Bool, by actor: String?, address: String?) async throws -> FeedSource {
        guard let source = try await self.store.feedSource(named: name),
            let changed = try await self.store.setFeedSource(id: source.id, enabled: enabled, nextRunAt: enabled ? self.now() : source.state.nextRunAt)
        else { throw FeedSourceError.notFound(name) }
        try await self.store.appendAudit(
            AuditEvent(at: self.now(), actor: actor, action: enabled ? .feedEnabled : .feedDisabled, target: name, address: address))
        return changed
    }

    /// An address without its query (which may hold a token).
    static func redacted(_ location: String) -> String {
        guard var url = URLComponents(string: location) else { return location }
        url.query = nil
        url.user = nil
        url.password = nil
        return url.string ?? location
    }
}
