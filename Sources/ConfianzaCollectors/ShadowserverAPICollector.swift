import ConfianzaCore
import ConfianzaFeeds
import Crypto
import Foundation
import NIOHTTP1

/// Shadowserver's Reports API, as its documentation and its sample clients describe it: `POST
/// {api}reports/list` with `{"apikey": KEY, "date": "FROM:TO", "reports": [...]}` signed in an `HMAC2`
/// header (HMAC-SHA256 of the body with the account's secret, hex), answered with a list of reports
/// (`id`, `file`, `type`, `url`), each downloaded from `{download}{id}` and ingested by its file name.
/// Each run lists the last three days (reports are dated by their day, and arrive late); reports already
/// fetched are remembered by id and not downloaded again.
public struct ShadowserverAPICollector: Sendable {
    public static let defaultAPI = "https://transform.shadowserver.org/api2/"
    public static let defaultDownload = "https://dl.shadowserver.org/"

    public init() {}

    struct Listed: Equatable {
        var id: String
        var file: String
        var type: String?
        var url: String?
    }

    /// The signature Shadowserver checks: HMAC-SHA256 of the exact body bytes, lower-case hex.
    public static func signature(body: Data, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    /// The list request's body.
    static func listBody(key: String, from: String, to: String, reports: [String]) -> Data {
        var object: [String: JSONValue] = ["apikey": .string(key), "date": .string("\(from):\(to)")]
        if !reports.isEmpty { object["reports"] = .array(reports.map { .string($0) }) }
        return Data(JSONValue.object(object).text.utf8)
    }

    /// The file names a list names, in order (for tests of the list's reading).
    public static func parseListForTesting(_ text: String) throws(CollectorError) -> [String] {
        try Self.parseList(Data(text.utf8)).map(\.file)
    }

    static func parseList(_ data: Data) throws(CollectorError) -> [Listed] {
        let value: JSONValue
        do { value = try JSONReader.parse(String(decoding: data, as: UTF8.self)) } catch {
            throw .api("Shadowserver's report list is not JSON: \(error)")
        }
        if case .object(let object) = value {
            if case .string(let message)? = object["error"] { throw .api("Shadowserver's API refused the request: \(message)") }
            throw .api("Shadowserver's report list is an object without a list of reports")
        }
        guard case .array(let items) = value else { throw .api("Shadowserver's report list is not a list") }
        return try items.enumerated().map { (index, item) throws(CollectorError) -> Listed in
            guard case .object(let report) = item, case .string(let id)? = report["id"], !id.isEmpty, case .string(let file)? = report["file"],
                !file.isEmpty
            else { throw .api("Shadowserver's report list, entry \(index + 1): it has no id or file") }
            guard id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) else {
                throw .api("Shadowserver's report list, entry \(index + 1): the id '\(id.prefix(40))' is not an id")
            }
            var type: String?
            if case .string(let text)? = report["type"] { type = text }
            var url: String?
            if case .string(let text)? = report["url"] { url = text }
            return Listed(id: id, file: (file as NSString).lastPathComponent, type: type, url: url)
        }
    }

    static func day(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: date)
    }

    func collect(
        _ source: FeedSource, secret: String?, state: inout FeedSourceState, into collector: FeedCollector
    ) async throws -> FeedCollector.Collected {
        guard let key = source.username, !key.isEmpty, let secret, !secret.isEmpty else {
            throw CollectorError.api("Shadowserver's API needs the account's API key (as the user name) and its secret")
        }
        var api = source.location.isEmpty ? Self.defaultAPI : source.location
        if !api.hasSuffix("/") { api += "/" }
        var download = source.options["download"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultDownload
        if !download.hasSuffix("/") { download += "/" }
        let now = collector.now()
        let reports = (source.options["reports"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let types = Set((source.options["types"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        let body = Self.listBody(
            key: key, from: Self.day(now.addingTimeInterval(-2 * 86400)), to: Self.day(now.addingTimeInterval(86400)), reports: reports)
        var request = HTTPFetcher.Request(url: api + "reports/list", maxBytes: 16 << 20, timeoutSeconds: min(source.timeoutSeconds, 300))
        request.method = .POST
        request.body = body
        request.headers = [("HMAC2", Self.signature(body: body, secret: secret)), ("Content-Type", "application/json")]
        guard case .fetched(let listing) = try await collector.http.fetch(request, into: collector.workDirectory) else {
            throw CollectorError.api("Shadowserver's API answered 304 to a list request")
        }
        defer { try? FileManager.default.removeItem(at: listing.file) }
        let listed = try Self.parseList(try Data(contentsOf: listing.file)).filter { types.isEmpty || $0.type.map(types.contains) ?? true }

        let seen = Set((state.cursor ?? "").split(separator: " ").map(String.init))
        var collected = FeedCollector.Collected(outcome: .unchanged)
        var fetched: [String] = []
        var failures: [String] = []
        for report in listed where !seen.contains(report.id) {
            try Task.checkCancellation()
            let url = report.url.flatMap { $0.hasPrefix("https://") || $0.hasPrefix("http://") ? $0 : nil } ?? download + report.id
            let get = HTTPFetcher.Request(url: url, maxBytes: source.maxBytes, timeoutSeconds: source.timeoutSeconds)
            do {
                guard case .fetched(let file) = try await collector.http.fetch(get, into: collector.workDirectory) else { continue }
                defer { try? FileManager.default.removeItem(at: file.file) }
                var shadowserver = source
                shadowserver.format = "shadowserver"
                let summary = try await collector.ingest(file: file.file.path, fileName: report.file, source: shadowserver, feed: nil)
                collected.runs.append(summary.run)
                collected.bytes += file.bytes
                if !summary.alreadyIngested { collected.outcome = .delivered }
                fetched.append(report.id)
            } catch let error as CollectorError {
                failures.append("\(report.file): \(error.description)")
            }
        }
        // Remember what the window still lists, so the next run downloads only what is new.
        let listedIDs = Set(listed.map(\.id))
        state.cursor = (seen.intersection(listedIDs).union(fetched)).sorted().joined(separator: " ")
        if !failures.isEmpty {
            collected.detail = "\(failures.count) of \(listed.count) reports not fetched (tried again next run): " + failures.joined(separator: "; ")
            if fetched.isEmpty { throw CollectorError.api(collected.detail ?? "") }
        }
        return collected
    }
}
