import Foundation

/// Why a collector's fetch failed, in words its operator can act on. Nothing is ingested from a fetch
/// that fails (a body is ingested only once it has arrived whole and looks like a feed).
public enum CollectorError: Error, Equatable, Sendable, CustomStringConvertible {
    case badLocation(String)
    case unreachable(String, reason: String)
    case status(Int, url: String)
    case html(url: String)
    case tooLarge(limit: Int)
    case timedOut(seconds: Int)
    case redirectLoop(url: String)
    case tooManyRedirects(url: String)
    case tls(String)
    case mailbox(String)
    case api(String)
    case ingest(String)
    case busy

    public var description: String {
        switch self {
        case .badLocation(let reason): reason
        case .unreachable(let host, let reason): "cannot reach \(host): \(reason)"
        case .status(let code, let url): "\(url) answered HTTP \(code)"
        case .html(let url): "\(url) answered an HTML page, not a feed (a login page or an error page?): nothing was ingested"
        case .tooLarge(let limit): "the answer is larger than the feed's limit of \(limit) bytes: nothing was ingested"
        case .timedOut(let seconds): "no complete answer within \(seconds) s: nothing was ingested"
        case .redirectLoop(let url): "\(url) redirects in a loop"
        case .tooManyRedirects(let url): "\(url) redirects more than 5 times"
        case .tls(let reason): "TLS failed: \(reason)"
        case .mailbox(let reason): reason
        case .api(let reason): reason
        case .ingest(let reason): reason
        case .busy: "another server is fetching this feed now"
        }
    }
}
