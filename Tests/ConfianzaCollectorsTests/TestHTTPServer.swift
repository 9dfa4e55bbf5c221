import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A real HTTP server on loopback for the collectors' tests: each request is answered by `respond`,
/// which may ask for a pause before the body (a stalled server) and sees every request made.
final class TestHTTPServer: Sendable {
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [(String, String)]
        var body: [UInt8]
        func header(_ name: String) -> String? { self.headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    struct Response: Sendable {
        var status: Int = 200
        var headers: [(String, String)] = []
        var body: [UInt8] = []
        /// Written in chunks with no Content-Length (to test limits as bytes arrive).
        var chunked = false
        /// A pause after the headers, before the body.
        var stall: Duration?

        init(status: Int = 200, headers: [(String, String)] = [], body: String = "", chunked: Bool = false, stall: Duration? = nil) {
            self.status = status
            self.headers = headers
            self.body = Array(body.utf8)
            self.chunked = chunked
            self.stall = stall
        }

        init(status: Int = 200, headers: [(String, String)] = [], bytes: [UInt8], chunked: Bool = false) {
            self.status = status
            self.headers = headers
            self.body = bytes
            self.chunked = chunked
        }
    }

    final class Recorder: Sendable {
        let seen = Mutex<[Request]>([])
    }

    let channel: any Channel
    let recorder = Recorder()
    let port: Int
    let scheme: String

    var base: String { "\(self.scheme)://127.0.0.1:\(self.port)" }
    var requests: [Request] { self.recorder.seen.withLock { $0 } }

    static func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")?.path ?? "missing-\(name)"
    }

    init(tls: Bool = false, respond: @escaping @Sendable (Request) -> Response) async throws {
        let context: NIOSSLContext? =
            tls
            ? try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(Self.fixture("server.pem")).map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: Self.fixture("server.key"), format: .pem)))) : nil
        let seen = self.recorder
        self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(respond: respond, seen: seen))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.port = self.channel.localAddress?.port ?? 0
        self.scheme = tls ? "https" : "http"
    }

    func stop() async {
        try? await self.channel.close().get()
    }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let respond: @Sendable (Request) -> Response
        let seen: Recorder
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(respond: @escaping @Sendable (Request) -> Response, seen: Recorder) {
            self.respond = respond
            self.seen = seen
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch Self.unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                self.body = []
            case .body(let buffer):
                self.body += buffer.readableBytesView
            case .end:
                guard let head = self.head else { return }
                let request = Request(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: self.body)
                self.seen.seen.withLock { $0.append(request) }
                let response = self.respond(request)
                var headers = HTTPHeaders(response.headers)
                if response.chunked { headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked") } else {
                    headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
                }
                let status = HTTPResponseStatus(statusCode: response.status)
                context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
                context.flush()
                let loop = context.eventLoop
                let write: @Sendable () -> Void = { [context = NIOLoopBound(context, eventLoop: loop)] in
                    let context = context.value
                    if !response.body.isEmpty {
                        for start in stride(from: 0, to: response.body.count, by: 65536) {
                            let slice = response.body[start..<min(start + 65536, response.body.count)]
                            context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: slice)))), promise: nil)
                        }
                    }
                    context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
                }
                if let stall = response.stall {
                    let nanos = stall.components.seconds * 1_000_000_000 + stall.components.attoseconds / 1_000_000_000
                    loop.scheduleTask(in: .nanoseconds(nanos)) { write() }
                } else {
                    write()
                }
            }
        }
    }
}
