import ConfianzaCore
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Where and how to send mail, read from a URL:
/// `smtp://host:25` (plain), `smtp://user:password@host:587` (STARTTLS required when credentials are
/// given, or with `?starttls=required`), `smtps://user:password@host:465` (TLS from the start).
public struct SMTPSettings: Sendable, Equatable {
    public enum Security: String, Sendable { case none, startTLS, tls }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// The name given in EHLO.
    public var helo: String
    public var timeout: TimeAmount

    public init(url text: String, helo: String = "confianza.localhost", timeout: TimeAmount = .seconds(30)) throws(MailError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw MailError("the SMTP address must look like smtp://user:password@host:587 or smtps://host:465")
        }
        let starttls = url.queryItems?.first { $0.name == "starttls" }?.value?.lowercased()
        switch scheme {
        case "smtp":
            self.security = (starttls == "required" || (url.user != nil && starttls != "none")) ? .startTLS : .none
            self.port = url.port ?? 25
        case "smtps":
            self.security = .tls
            self.port = url.port ?? 465
        default:
            throw MailError("the SMTP address must start with smtp:// or smtps://, not \(scheme)://")
        }
        self.host = host
        self.username = url.user?.removingPercentEncoding
        self.password = url.password?.removingPercentEncoding
        self.helo = helo
        self.timeout = timeout
    }
}

/// Sends mail over SMTP (RFC 5321) with SwiftNIO: EHLO, STARTTLS when asked, AUTH PLAIN, MAIL FROM,
/// RCPT TO, DATA. The message's content is written in full before the outbox records the send; only
/// then is the closing "." written, so a failure before it sends nothing and one after it is "uncertain".
public struct SMTPTransport: MailTransport {
    public let settings: SMTPSettings
    let group: any EventLoopGroup

    public init(settings: SMTPSettings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.settings = settings
        self.group = group
    }

    public func send(_ message: MailMessage, commit: @Sendable () async throws -> Void) async throws {
        let session = try await SMTPSession.connect(self.settings, group: self.group)
        do {
            try await session.expect(220, "the server's greeting")
            var features = try await session.command("EHLO \(self.settings.helo)", expect: 250)
            if self.settings.security == .startTLS {
                guard features.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else {
                    throw MailError("the server does not offer STARTTLS, and the SMTP address asks for it")
                }
                _ = try await session.command("STARTTLS", expect: 220)
                try await session.startTLS(host: self.settings.host)
                features = try await session.command("EHLO \(self.settings.helo)", expect: 250)
            }
            if let username = self.settings.username {
                let token = Data("\u{0}\(username)\u{0}\(self.settings.password ?? "")".utf8).base64EncodedString()
                _ = try await session.command("AUTH PLAIN \(token)", expect: 235, redacted: "AUTH PLAIN …")
            }
            _ = features
            _ = try await session.command("MAIL FROM:<\(Self.address(message.from))>", expect: 250)
            _ = try await session.command("RCPT TO:<\(Self.address(message.to))>", expect: 250, 251)
            _ = try await session.command("DATA", expect: 354)
            try await session.write(Self.dotStuffed(message.data))
            try await commit()
            do {
                try await session.write(".\r\n")
                try await session.expect(250, "the end of the message")
            } catch {
                throw MailError("the connection failed after the message was handed over: \(error)", afterCommit: true)
            }
            _ = try? await session.command("QUIT", expect: 221)
            await session.close()
        } catch {
            await session.close()
            throw error
        }
    }

    /// `Name <a@b>` → `a@b`.
    static func address(_ text: String) -> String { MailAddress.bare(text) }

    /// CRLF line ends, and a leading "." doubled (RFC 5321 §4.5.2); ends with CRLF.
    static func dotStuffed(_ data: String) -> String {
        var lines = data.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix(".") ? "." + line : String(line)
        }
        if lines.last == "" { lines.removeLast() }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}

/// One SMTP connection, used by one task: replies come in through a handler and are read in order.
final class SMTPSession {
    let channel: any Channel
    private var iterator: AsyncThrowingStream<SMTPReply, any Error>.AsyncIterator
    let timeout: TimeAmount

    init(channel: any Channel, replies: AsyncThrowingStream<SMTPReply, any Error>, timeout: TimeAmount) {
        self.channel = channel
        self.iterator = replies.makeAsyncIterator()
        self.timeout = timeout
    }

    static func connect(_ settings: SMTPSettings, group: any EventLoopGroup) async throws -> SMTPSession {
        let (stream, continuation) = AsyncThrowingStream<SMTPReply, any Error>.makeStream()
        let tls: NIOSSLContext? = settings.security == .tls ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        let host = settings.host
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(settings.timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: host)) }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder()))
                        try channel.pipeline.syncOperations.addHandler(SMTPReplyHandler(continuation: continuation))
                    }
                }
                .connect(host: settings.host, port: settings.port).get()
        } catch {
            throw MailError("cannot reach the mail server \(settings.host):\(settings.port): \(error)")
        }
        return SMTPSession(channel: channel, replies: stream, timeout: settings.timeout)
    }

    /// The next reply; a server silent for longer than the timeout has its connection closed.
    func next() async throws -> SMTPReply {
        let seconds = Double(self.timeout.nanoseconds) / 1e9
        let channel = self.channel
        let timer = Task {
            try await Task.sleep(for: .seconds(seconds))
            try? await channel.close().get()
        }
        defer { timer.cancel() }
        guard let reply = try await self.iterator.next() else {
            throw MailError(timer.isCancelled ? "the mail server closed the connection" : "the mail server closed the connection or did not answer within \(Int(seconds)) s")
        }
        return reply
    }

    func expect(_ codes: Int..., what: String = "") async throws {
        try await self.expect(codes, what)
    }

    func expect(_ code: Int, _ what: String) async throws { try await self.expect([code], what) }

    func expect(_ codes: [Int], _ what: String) async throws {
        let reply = try await self.next()
        guard codes.contains(reply.code) else { throw MailError("the mail server answered \(reply.code) \(reply.lines.joined(separator: " ")) to \(what)") }
    }

    /// Sends a command; returns the reply's lines when its code is one of those expected.
    func command(_ line: String, expect codes: Int..., redacted: String? = nil) async throws -> [String] {
        try await self.write(line + "\r\n")
        let reply = try await self.next()
        guard codes.contains(reply.code) else {
            throw MailError("the mail server answered \(reply.code) \(reply.lines.joined(separator: " ")) to \(redacted ?? line)")
        }
        return reply.lines
    }

    func write(_ text: String) async throws {
        try await self.channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    func startTLS(host: String) async throws {
        let context = try NIOSSLContext(configuration: .makeClientConfiguration())
        let handler = try NIOSSLClientHandler(context: context, serverHostname: host)
        try await self.channel.pipeline.addHandler(handler, position: .first).get()
    }

    func close() async {
        try? await self.channel.close().get()
    }
}

struct SMTPReply: Sendable {
    var code: Int
    var lines: [String]
}

/// Splits the byte stream into lines (CRLF or LF).
struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let end = buffer.readableBytesView.firstIndex(of: 10) else {
            if buffer.readableBytes > 64 * 1024 { throw MailError("the mail server sent a line longer than 64 KiB") }
            return .needMoreData
        }
        let length = end - buffer.readerIndex
        guard var line = buffer.readString(length: length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }
}

/// Gathers reply lines (`250-…` continues, `250 …` ends) into replies.
final class SMTPReplyHandler: ChannelInboundHandler {
    typealias InboundIn = String
    let continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation
    /// Lines of a reply still being read (touched on the channel's event loop only).
    private var pending: [String] = []

    init(continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = Self.unwrapInboundIn(data)
        guard line.count >= 3, let code = Int(line.prefix(3)) else {
            self.continuation.finish(throwing: MailError("the mail server sent something that is not an SMTP reply: \(line.prefix(80))"))
            return
        }
        let text = line.count > 4 ? String(line.dropFirst(4)) : ""
        let continues = line.count > 3 && line[line.index(line.startIndex, offsetBy: 3)] == "-"
        self.pending.append(text)
        guard !continues else { return }
        self.continuation.yield(SMTPReply(code: code, lines: self.pending))
        self.pending = []
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
