import ConfianzaCore
import NIOCore
import NIOEmbedded
import Testing

@testable import ConfianzaMail

@Suite struct SMTPTests {
    @Test func addressesAreRead() throws {
        let plain = try SMTPSettings(url: "smtp://mail.example")
        #expect(plain.security == .none && plain.port == 25 && plain.username == nil)
        let submission = try SMTPSettings(url: "smtp://cert%40x.example:p%40ss@mail.example:587")
        #expect(submission.security == .startTLS && submission.port == 587 && submission.username == "cert@x.example" && submission.password == "p@ss")
        #expect(try SMTPSettings(url: "smtp://u:p@mail.example?starttls=none").security == .none)
        #expect(try SMTPSettings(url: "smtps://mail.example").security == .tls)
        #expect(try SMTPSettings(url: "smtps://mail.example").port == 465)
        for bad in ["http://mail.example", "smtp://", "mail.example", "", "smtp:///x"] {
            #expect(throws: MailError.self, "\(bad)") { try SMTPSettings(url: bad) }
        }
    }

    /// Replies as servers send them: multi-line ones gathered, CRLF or LF; anything else ends the
    /// conversation with a reason.
    @Test func repliesAreGatheredAndNonsenseRefused() async throws {
        let (stream, continuation) = AsyncThrowingStream<SMTPReply, any Error>.makeStream()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder()))
        try channel.pipeline.syncOperations.addHandler(SMTPReplyHandler(continuation: continuation))
        try channel.writeInbound(ByteBuffer(string: "250-mail.example greets you\r\n250-STARTTLS\n250 SIZE 1000\r\n354 go"))
        try channel.writeInbound(ByteBuffer(string: " ahead\r\nnot a reply\r\n250 never read\r\n"))
        var iterator = stream.makeAsyncIterator()
        let first = try #require(try await iterator.next())
        #expect(first.code == 250 && first.lines == ["mail.example greets you", "STARTTLS", "SIZE 1000"])
        let second = try #require(try await iterator.next())
        #expect(second.code == 354 && second.lines == ["go ahead"])
        await #expect(throws: MailError.self) { _ = try await iterator.next() }
        _ = try? channel.finish()
    }

    @Test func anEndlessLineIsRefused() async throws {
        let (stream, continuation) = AsyncThrowingStream<SMTPReply, any Error>.makeStream()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder()))
        try channel.pipeline.syncOperations.addHandler(SMTPReplyHandler(continuation: continuation))
        try? channel.writeInbound(ByteBuffer(string: String(repeating: "2", count: 70_000)))
        var iterator = stream.makeAsyncIterator()
        await #expect(throws: MailError.self) { _ = try await iterator.next() }
        _ = try? channel.finish()
    }

    @Test func messagesAreDotStuffed() {
        #expect(SMTPTransport.dotStuffed("a\n.b\r\n..c\n") == "a\r\n..b\r\n...c\r\n")
        #expect(SMTPTransport.address("CERTuy <cert@cert.example>") == "cert@cert.example")
    }
}
