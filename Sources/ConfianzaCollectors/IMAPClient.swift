import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Where a mailbox is: `imaps://host:993/INBOX` (TLS from the start) or `imap://host:143/INBOX` (STARTTLS
/// required). Plain text only to a loopback address and only when asked (`?tls=none`).
public struct IMAPLocation: Sendable, Equatable {
    public enum Security: Sendable { case tls, startTLS, none }
    public var host: String
    public var port: Int
    public var security: Security
    public var folder: String

    public init(_ text: String) throws(CollectorError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw .badLocation("a mailbox must look like imaps://mail.example.net:993/INBOX")
        }
        let plain = url.queryItems?.first { $0.name == "tls" }?.value == "none"
        switch scheme {
        case "imaps":
            self.security = .tls
            self.port = url.port ?? 993
        case "imap":
            if plain {
                guard ["127.0.0.1", "::1", "localhost"].contains(host) else {
                    throw .badLocation("a mailbox is read over TLS: ?tls=none is only for a server on this machine")
                }
                self.security = .none
            } else {
                self.security = .startTLS
            }
            self.port = url.port ?? 143
        default:
            throw .badLocation("a mailbox address starts with imaps:// or imap://, not \(scheme)://")
        }
        self.host = host
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        self.folder = path.isEmpty ? "INBOX" : (path.removingPercentEncoding ?? path)
    }
}

/// One IMAP4rev1 response: its text with each literal (`{n}` and its bytes) taken out, in order.
struct IMAPResponse: Sendable {
    var text: String
    var literals: [[UInt8]]
}

/// A small IMAP client (RFC 3501, with MOVE and UIDPLUS when the server has them): enough to read a
/// folder's messages by UID, move them, and flag the ones it leaves.
final class IMAPClient {
    let channel: any Channel
    private var iterator: AsyncThrowingStream<IMAPResponse, any Error>.AsyncIterator
    private var tag = 0
    let timeout: TimeAmount
    private(set) var capabilities: Set<String> = []

    private init(channel: any Channel, responses: AsyncThrowingStream<IMAPResponse, any Error>, timeout: TimeAmount) {
        self.channel = channel
        self.iterator = responses.makeAsyncIterator()
        self.timeout = timeout
    }

    static func connect(_ location: IMAPLocation, tls: NIOSSLContext, maxLiteral: Int, timeout: TimeAmount) async throws -> IMAPClient {
        let (stream, continuation) = AsyncThrowingStream<IMAPResponse, any Error>.makeStream()
        let host = location.host
        let direct = location.security == .tls
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(20))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if direct { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: Self.sni(host))) }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(IMAPResponseDecoder(maxLiteral: maxLiteral)))
                        try channel.pipeline.syncOperations.addHandler(IMAPResponseHandler(continuation: continuation))
                    }
                }
                .connect(host: location.host, port: location.port).get()
        } catch {
            throw CollectorError.unreachable("\(location.host):\(location.port)", reason: "\(error)")
        }
        let client = IMAPClient(channel: channel, responses: stream, timeout: timeout)
        let greeting = try await client.next()
        guard greeting.text.hasPrefix("* OK") || greeting.text.hasPrefix("* PREAUTH") else {
            throw CollectorError.mailbox("the mail server did not greet as an IMAP server: \(greeting.text.prefix(80))")
        }
        if location.security == .startTLS {
            _ = try await client.command("STARTTLS")
            let handler = try NIOSSLClientHandler(context: tls, serverHostname: Self.sni(host))
            try await channel.pipeline.addHandler(handler, position: .first).get()
        }
        return client
    }

    /// TLS names a server by its host name, never by an address.
    static func sni(_ host: String) -> String? {
        host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) ? nil : host
    }

    func next() async throws -> IMAPResponse {
        let seconds = Double(self.timeout.nanoseconds) / 1e9
        let channel = self.channel
        let timer = Task {
            try await Task.sleep(for: .seconds(seconds))
            try? await channel.close().get()
        }
        defer { timer.cancel() }
        do {
            guard let response = try await self.iterator.next() else {
                throw CollectorError.mailbox("the mail server closed the connection (or did not answer within \(Int(seconds)) s)")
            }
            return response
        } catch let error as CollectorError {
            throw error
        } catch let error as NIOSSLError {
            throw CollectorError.tls("\(error)")
        } catch let error as BoringSSLError {
            throw CollectorError.tls("\(error)")
        }
    }

    /// Sends a command and returns its untagged responses once it ends in OK; NO or BAD throws.
    @discardableResult
    func command(_ text: String, redacted: String? = nil) async throws -> [IMAPResponse] {
        self.tag += 1
        let tag = "c\(self.tag)"
        try await self.channel.writeAndFlush(ByteBuffer(string: "\(tag) \(text)\r\n")).get()
        var untagged: [IMAPResponse] = []
        while true {
            let response = try await self.next()
            if response.text.hasPrefix(tag + " ") {
                let status = response.text.dropFirst(tag.count + 1)
                if status.uppercased().hasPrefix("OK") {
                    for item in untagged where item.text.uppercased().hasPrefix("* CAPABILITY ") { self.readCapabilities(item.text) }
                    if let open = status.firstIndex(of: "["), status[open...].uppercased().hasPrefix("[CAPABILITY ") {
                        self.readCapabilities("* " + status[status.index(after: open)...].prefix { $0 != "]" })
                    }
                    return untagged
                }
                throw CollectorError.mailbox("the mail server refused \(redacted ?? text): \(status.prefix(200))")
            }
            if response.text.hasPrefix("+") { throw CollectorError.mailbox("the mail server asked for more than this client sends") }
            untagged.append(response)
        }
    }

    private func readCapabilities(_ line: String) {
        let words = line.split(separator: " ").dropFirst(2).map { $0.uppercased() }
        self.capabilities = Set(words)
    }

    /// A string as IMAP quotes it.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    func login(user: String, password: String) async throws {
        guard !user.contains(where: { $0 == "\r" || $0 == "\n" }), !password.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw CollectorError.mailbox("the mailbox's user name or password holds a line break")
        }
        try await self.command("LOGIN \(Self.quoted(user)) \(Self.quoted(password))", redacted: "LOGIN (user \(user))")
        if self.capabilities.isEmpty { try await self.command("CAPABILITY") }
    }

    func select(_ folder: String) async throws {
        try await self.command("SELECT \(Self.quoted(folder))")
    }

    /// UIDs of the selected folder's messages without `keyword`.
    func uids(without keyword: String) async throws -> [UInt32] {
        let responses = try await self.command("UID SEARCH UNKEYWORD \(keyword)")
        return responses.filter { $0.text.uppercased().hasPrefix("* SEARCH") }.flatMap { response in
            response.text.split(separator: " ").dropFirst(2).compactMap { UInt32($0) }
        }.sorted()
    }

    func size(uid: UInt32) async throws -> Int? {
        let responses = try await self.command("UID FETCH \(uid) (RFC822.SIZE)")
        for response in responses {
            let words = response.text.replacingOccurrences(of: "(", with: " ").replacingOccurrences(of: ")", with: " ").split(separator: " ")
            if let index = words.firstIndex(where: { $0.uppercased() == "RFC822.SIZE" }), index + 1 < words.count { return Int(words[index + 1]) }
        }
        return nil
    }

    /// The whole message, without marking it read.
    func message(uid: UInt32) async throws -> [UInt8]? {
        let responses = try await self.command("UID FETCH \(uid) (BODY.PEEK[])")
        return responses.first { $0.text.uppercased().contains("BODY[]") && !$0.literals.isEmpty }?.literals.first
    }

    func ensureFolder(_ folder: String) async throws {
        do { try await self.command("CREATE \(Self.quoted(folder))") } catch CollectorError.mailbox(let reason) {
            // Already there is fine; anything else is not.
            guard reason.uppercased().contains("ALREADYEXISTS") || reason.lowercased().contains("exists") else { throw CollectorError.mailbox(reason) }
        }
    }

    func move(uid: UInt32, to folder: String) async throws {
        if self.capabilities.contains("MOVE") {
            try await self.command("UID MOVE \(uid) \(Self.quoted(folder))")
            return
        }
        try await self.command("UID COPY \(uid) \(Self.quoted(folder))")
        try await self.command("UID STORE \(uid) +FLAGS.SILENT (\\Deleted)")
        if self.capabilities.contains("UIDPLUS") { try await self.command("UID EXPUNGE \(uid)") } else { try await self.command("EXPUNGE") }
    }

    func flag(uid: UInt32, keyword: String) async throws {
        try await self.command("UID STORE \(uid) +FLAGS.SILENT (\(keyword))")
    }

    func logout() async {
        _ = try? await self.command("LOGOUT")
        try? await self.channel.close().get()
    }
}

/// Splits the stream into IMAP responses: a line, and when it ends in `{n}`, n bytes and the rest of the
/// response after them.
struct IMAPResponseDecoder: ByteToMessageDecoder {
    typealias InboundOut = IMAPResponse
    let maxLiteral: Int
    private var text = ""
    private var literals: [[UInt8]] = []
    private var pendingLiteral: Int?

    init(maxLiteral: Int) { self.maxLiteral = maxLiteral }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if let length = self.pendingLiteral {
            guard buffer.readableBytes >= length, let bytes = buffer.readBytes(length: length) else { return .needMoreData }
            self.literals.append(bytes)
            self.pendingLiteral = nil
            return .continue
        }
        guard let end = buffer.readableBytesView.firstIndex(of: 10) else {
            if buffer.readableBytes > 64 * 1024 { throw CollectorError.mailbox("the mail server sent a line longer than 64 KiB") }
            return .needMoreData
        }
        guard var line = buffer.readString(length: end - buffer.readerIndex) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        if line.hasSuffix("}"), let open = line.lastIndex(of: "{"), let length = Int(line[line.index(after: open)..<line.index(before: line.endIndex)]) {
            guard length <= self.maxLiteral else { throw CollectorError.tooLarge(limit: self.maxLiteral) }
            self.text += line[..<open] + "{}"
            self.pendingLiteral = length
            return .continue
        }
        self.text += line
        context.fireChannelRead(Self.wrapInboundOut(IMAPResponse(text: self.text, literals: self.literals)))
        self.text = ""
        self.literals = []
        return .continue
    }
}

final class IMAPResponseHandler: ChannelInboundHandler {
    typealias InboundIn = IMAPResponse
    let continuation: AsyncThrowingStream<IMAPResponse, any Error>.Continuation

    init(continuation: AsyncThrowingStream<IMAPResponse, any Error>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.continuation.yield(Self.unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.continuation.finish(throwing: error)
        context.close(promise: nil)
    }
}
