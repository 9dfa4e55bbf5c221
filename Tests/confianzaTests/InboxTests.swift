import ConfianzaCore
import ConfianzaFeeds
import ConfianzaTestSupport
import Foundation
import Logging
import Testing

@testable import confianza

/// The inbox: a file is read from `processing/`; one left there is left to the process reading it, or
/// gone on with when its reader stopped, or set aside when readers stopped on it twice; one that takes
/// too long fails alone.
@Suite struct InboxTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-inbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func watcher(
        _ directory: URL, _ store: any Store, timeout: Duration = .seconds(60), now: @escaping @Sendable () -> Date = { Date() }
    ) throws -> InboxWatcher {
        let pipeline = IngestPipeline(
            store: store, constituency: ConstituencyService(store: store), mapping: try ShadowserverMapping.bundled(), now: now, leaseSeconds: 60)
        var watcher = InboxWatcher(directory: directory, pipeline: pipeline, format: .intelmq, logger: Logger(label: "test.inbox"))
        watcher.fileTimeout = timeout
        return watcher
    }

    static func names(_ folder: URL) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() }

    static func events(_ count: Int) -> String {
        (0..<count).map { #"{"source.ip":"198.51.100.\#($0 % 250 + 1)","classification.type":"scanner","time.source":"2024-05-01T00:00:\#(String(format: "%02d", $0 % 60))+00:00","extra.n":\#($0)}"# }
            .joined(separator: "\n") + "\n"
    }

    @Test(arguments: TestBackend.available)
    func aFileIsReadFromProcessingAndEndsInDone(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let directory = try Self.folder()
            defer { try? FileManager.default.removeItem(at: directory) }
            let watcher = try Self.watcher(directory, store)
            try watcher.prepare()
            try Data(Self.events(3).utf8).write(to: directory.appendingPathComponent("scan.jsonl"))
            let looked = await watcher.scan(InboxWatcher.Looked())
            #expect(Self.names(watcher.done).isEmpty, "a new file waits one look, until its size holds")
            _ = await watcher.scan(looked)
            #expect(Self.names(watcher.done) == ["scan.jsonl"])
            #expect(Self.names(watcher.processing).isEmpty && Self.names(watcher.failed).isEmpty)
            #expect(try await store.ingestRuns(limit: 5).first?.counts.stored == 3)
        }
    }

    /// A file in `processing/` with no run yet (its reader stopped before it began) is read.
    @Test(arguments: TestBackend.available)
    func aFileLeftInProcessingIsRead(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let directory = try Self.folder()
            defer { try? FileManager.default.removeItem(at: directory) }
            let watcher = try Self.watcher(directory, store)
            try watcher.prepare()
            try Data(Self.events(4).utf8).write(to: watcher.processing.appendingPathComponent("left.jsonl"))
            _ = await watcher.scan(InboxWatcher.Looked())
            #expect(Self.names(watcher.done) == ["left.jsonl"])
            #expect(try await store.ingestRuns(limit: 5).first?.counts.stored == 4)
        }
    }

    /// Two watchers on one inbox: a file another one is reading (its lease holds) is left alone and
    /// looked at again later; when its reader stops answering, the file is gone on with from its
    /// checkpoint; a file whose readers stopped twice is set aside with why.
    @Test(arguments: TestBackend.available)
    func aFileAnotherProcessReadsIsLeftToItUntilItStops(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let directory = try Self.folder()
            defer { try? FileManager.default.removeItem(at: directory) }
            let clock = TestClock(start: Date())
            let reader = try Self.watcher(directory, store, now: { clock.now })
            let other = try Self.watcher(directory, store, now: { clock.now })
            try reader.prepare()
            let text = Self.events(10)
            let path = reader.processing.appendingPathComponent("shared.jsonl")
            try Data(text.utf8).write(to: path)
            let fingerprint = try IngestPipeline.fingerprint(MemoryChunks(Array(text.utf8)))
            _ = try await reader.pipeline.begin(
                fileName: "shared.jsonl", fingerprint: fingerprint, format: .intelmq, feed: nil, source: "inbox", actor: nil)

            var looked = await other.scan(InboxWatcher.Looked())
            #expect(Self.names(reader.processing) == ["shared.jsonl"], "left to its reader")
            #expect(looked.busy["shared.jsonl"] != nil)
            looked = await other.scan(looked)
            #expect(looked.busy["shared.jsonl"] != nil, "not looked at again before its time")

            clock.advance(120)  // the reader has stopped renewing its lease
            _ = await other.scan(InboxWatcher.Looked())
            #expect(Self.names(reader.done) == ["shared.jsonl"])
            let run = try #require(try await store.ingestRuns(limit: 5).first)
            #expect(run.counts == IngestCounts(read: 10, stored: 10, duplicates: 0, quarantined: 0))
            #expect(run.takeovers == 1)

            // Readers stopped on this one twice already: set aside, not read again.
            let crasher = "{\"source.ip\":\n"
            try Data(crasher.utf8).write(to: reader.processing.appendingPathComponent("crasher.jsonl"))
            try await store.insertIngestRun(
                IngestRun(
                    fileName: "crasher.jsonl", fileHash: try IngestPipeline.fingerprint(MemoryChunks(Array(crasher.utf8))), format: "intelmq",
                    feed: "IntelMQ", startedAt: clock.now, source: "inbox", leaseOwner: "elsewhere/1/x", leaseUntil: clock.now, takeovers: 1))
            clock.advance(1)
            _ = await other.scan(InboxWatcher.Looked())
            #expect(Self.names(reader.failed) == ["crasher.jsonl", "crasher.jsonl.reason.txt"])
            let reason = try String(contentsOf: reader.failed.appendingPathComponent("crasher.jsonl.reason.txt"), encoding: .utf8)
            #expect(reason.contains("stopped in the middle 2 times"), "\(reason)")
        }
    }

    /// Only one of two watchers takes a file from the inbox.
    @Test func onlyOneWatcherTakesAFile() async throws {
        try await TestDatabase.withStore(.sqlite) { store in
            let directory = try Self.folder()
            defer { try? FileManager.default.removeItem(at: directory) }
            let first = try Self.watcher(directory, store)
            let second = try Self.watcher(directory, store)
            try first.prepare()
            let source = directory.appendingPathComponent("a.csv")
            try Data("x".utf8).write(to: source)
            #expect(first.take(source.path, name: "a.csv") != nil)
            #expect(second.take(source.path, name: "a.csv") == nil, "already taken")
            try Data("y".utf8).write(to: source)
            #expect(second.take(source.path, name: "a.csv") == nil, "a file of that name is being read: it waits")
            #expect(FileManager.default.fileExists(atPath: source.path))
            #expect(try String(contentsOf: first.processing.appendingPathComponent("a.csv"), encoding: .utf8) == "x")
        }
    }

    /// A file that takes longer than the limit fails alone, with a note; the next file is read.
    @Test(arguments: TestBackend.available)
    func aFileThatTakesTooLongFailsAlone(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let directory = try Self.folder()
            defer { try? FileManager.default.removeItem(at: directory) }
            let slow = try Self.watcher(directory, store, timeout: .milliseconds(1))
            try slow.prepare()
            try Data(Self.events(40_000).utf8).write(to: directory.appendingPathComponent("a-big.jsonl"))
            await slow.ingest(name: "a-big.jsonl", path: directory.appendingPathComponent("a-big.jsonl").path)
            #expect(Self.names(slow.failed) == ["a-big.jsonl", "a-big.jsonl.reason.txt"])
            let reason = try String(contentsOf: slow.failed.appendingPathComponent("a-big.jsonl.reason.txt"), encoding: .utf8)
            #expect(reason.contains("took longer than 1 milliseconds"))
            let watcher = try Self.watcher(directory, store)
            try Data(Self.events(2).utf8).write(to: directory.appendingPathComponent("b-small.jsonl"))
            await watcher.ingest(name: "b-small.jsonl", path: directory.appendingPathComponent("b-small.jsonl").path)
            #expect(Self.names(watcher.done) == ["b-small.jsonl"])
            #expect(Self.names(watcher.processing).isEmpty)
        }
    }
}
