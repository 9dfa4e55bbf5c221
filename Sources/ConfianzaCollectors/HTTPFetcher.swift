import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Fetches a URL into a file, streaming: conditional (`If-None-Match`, `If-Modified-Since`), at most five
/// redirects and no loops, a size limit checked as bytes arrive, an overall time limit, TLS verified
/// against the system's roots plus any the site adds (`caFile`).
public final class HTTPFetcher: Sendable {
    public enum Result: Sendable, Equatable {
        /// The server says nothing changed since the `ETag` or date sent.
        case notModified
        case fetched(Body)
    }

    public struct Body: Sendable, Equatable {
        public var file: URL
        public var bytes: Int64
        public var etag: String?
        public var lastModified: String?
        /// From `Content-Disposition`, else the URL's last path segment.
        public var fileName: String
        public var contentType: String?
    }

    public struct Request: Sendable {
        public var url: String
        public var method: HTTPMethod = .GET
        public var headers: [(String, String)] = []
        public var body: Data?
        public var etag: String?
        public var lastModified: String?
        /// Basic auth (user and secret) or, with no user, a bearer token.
        public var user: String?
        public var secret: String?
        public var maxBytes: Int
        public var timeoutSeconds: Int

        public init(url: String, maxBytes: Int, timeoutSeconds: Int) {
            self.url = url
            self.maxBytes = maxBytes
            self.timeoutSeconds = timeoutSeconds
        }
    }

    let client: HTTPClient

    /// - Parameter caFile: a PEM file of certificate authorities trusted besides the system's.
    public init(caFile: String? = nil) throws(CollectorError) {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else { throw .tls("cannot read the CA file \(caFile)") }
            tls.additionalTrustRoots = [.file(caFile)]
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .follow(max: 5, allowCycles: false),
            timeout: .init(connect: .seconds(10), read: .seconds(60)))
        configuration.httpVersion = .http1Only
        self.client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
    }

    public func shutdown() async {
        try? await self.client.shutdown()
    }

    /// Fetches `request` into a new file in `directory` (the caller removes it).
    public func fetch(_ request: Request, into directory: URL) async throws(CollectorError) -> Result {
        guard let url = URL(string: request.url), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = url.host,
            !host.isEmpty
        else { throw .badLocation("'\(request.url)' is not an http:// or https:// URL") }
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = request.method
        outgoing.headers.add(name: "User-Agent", value: "Confianza feed collector")
        if let etag = request.etag { outgoing.headers.add(name: "If-None-Match", value: etag) }
        if let lastModified = request.lastModified { outgoing.headers.add(name: "If-Modified-Since", value: lastModified) }
        if let secret = request.secret {
            if let user = request.user {
                outgoing.headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString())
            } else {
                outgoing.headers.add(name: "Authorization", value: "Bearer \(secret)")
            }
        }
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }

        let file = directory.appendingPathComponent("fetch-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: file.path, contents: nil), let handle = FileHandle(forWritingAtPath: file.path) else {
            throw .ingest("cannot write a temporary file in \(directory.path)")
        }
        var keep = false
        defer {
            try? handle.close()
            if !keep { try? FileManager.default.removeItem(at: file) }
        }
        let deadline = NIODeadline.now() + .seconds(Int64(request.timeoutSeconds))
        do {
            let response = try await self.client.execute(outgoing, deadline: deadline)
            if response.status == .notModified { return .notModified }
            guard (200..<300).contains(response.status.code) else { throw CollectorError.status(Int(response.status.code), url: request.url) }
            if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > request.maxBytes {
                throw CollectorError.tooLarge(limit: request.maxBytes)
            }
            let contentType = response.headers.first(name: "Content-Type")
            if contentType?.lowercased().hasPrefix("text/html") == true { throw CollectorError.html(url: request.url) }
            // The whole answer, body included, within the time limit (the client's deadline covers the head).
            let body = response.body
            let maxBytes = request.maxBytes
            let (total, head) = try await withThrowingTaskGroup(of: (Int64, [UInt8])?.self) { group in
                group.addTask {
                    var total: Int64 = 0
                    var head: [UInt8] = []
                    for try await chunk in body {
                        total += Int64(chunk.readableBytes)
                        if total > Int64(maxBytes) { throw CollectorError.tooLarge(limit: maxBytes) }
                        if head.count < 512 { head += chunk.readableBytesView.prefix(512 - head.count) }
                        try handle.write(contentsOf: Data(chunk.readableBytesView))
                    }
                    return (total, head)
                }
                group.addTask {
                    let left = deadline.uptimeNanoseconds > NIODeadline.now().uptimeNanoseconds
                        ? deadline.uptimeNanoseconds - NIODeadline.now().uptimeNanoseconds : 0
                    try await Task.sleep(nanoseconds: left)
                    return nil
                }
                guard let first = try await group.next(), let done = first else {
                    group.cancelAll()
                    throw CollectorError.timedOut(seconds: request.timeoutSeconds)
                }
                group.cancelAll()
                return done
            }
            if Self.looksLikeHTML(head) { throw CollectorError.html(url: request.url) }
            keep = true
            // Named as where the answer came from, after any redirect.
            let name = Self.fileName(disposition: response.headers.first(name: "Content-Disposition"), url: response.url ?? url)
            return .fetched(
                Body(
                    file: file, bytes: total, etag: response.headers.first(name: "ETag"), lastModified: response.headers.first(name: "Last-Modified"),
                    fileName: name, contentType: contentType))
        } catch let error as CollectorError {
            throw error
        } catch let error as HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout: throw .timedOut(seconds: request.timeoutSeconds)
            case .redirectCycleDetected: throw .redirectLoop(url: request.url)
            case .redirectLimitReached: throw .tooManyRedirects(url: request.url)
            case .connectTimeout: throw .unreachable(host, reason: "the connection timed out")
            default: throw .unreachable(host, reason: "\(error)")
            }
        } catch let error as NIOSSLError {
            throw .tls("\(error)")
        } catch let error as BoringSSLError {
            throw .tls("\(error)")
        } catch {
            let text = String(describing: error)
            if text.contains("SSL") || text.contains("certificate") || text.contains("handshake") { throw .tls(text) }
            throw .unreachable(host, reason: text)
        }
    }

    /// An answer whose first bytes are an HTML document (served as text/plain or octet-stream).
    static func looksLikeHTML(_ head: [UInt8]) -> Bool {
        var text = String(decoding: head, as: UTF8.self).lowercased()
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.hasPrefix("<!doctype html") || text.hasPrefix("<html") || text.hasPrefix("<head") || text.hasPrefix("<body")
    }

    /// `attachment; filename="2024-05-01-scan_dns-uy.csv"`, else the URL's last segment, else `feed`.
    static func fileName(disposition: String?, url: URL) -> String {
        if let disposition, let range = disposition.range(of: "filename=", options: .caseInsensitive) {
            var name = String(disposition[range.upperBound...])
            if let semicolon = name.firstIndex(of: ";") { name = String(name[..<semicolon]) }
            name = name.trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
            name = (name as NSString).lastPathComponent
            if !name.isEmpty, name != ".", name != ".." { return name }
        }
        let last = url.lastPathComponent
        return last.isEmpty || last == "/" ? "feed" : last
    }
}
