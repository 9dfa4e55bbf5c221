import ConfianzaCore
import ConfianzaFeeds
import ConfianzaTestSupport
import Foundation
import Logging
import Testing

@testable import confianza

/// The inbox (issue 12, item 5): a file is read from `processing/`, one left there by a stopped
/// process is set aside instead of read at every restart, and one that takes too long fails alone.
@Suite struct InboxTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("confianza-inbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func watcher(_ directory: URL, _ store: any Store, timeout: Duration = .seconds(60)) throws -> InboxWatcher {
        let pipeline = IngestPipeline(store: store, constituency: ConstituencyService(store: store), mapping: try ShadowserverMapping.bundled())
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
            let sizes = await watcher.scan(previousSizes: [:])
            #expect(Self.names(watcher.done).isEmpty, "a new file waits one look, until its size holds")
            _ = await watcher.scan(previousSizes: sizes)
            #expect(Self.names(watcher.done) == ["scan.jsonl"])
            #expect(Self.names(watcher.processing).isEmpty && Self.names(watcher.failed).isEmpty)
            #expect(try await store.ingestRuns(limit: 5).first?.counts.stored == 3)
        }
    }

    /// A file found in `processing/` at start was being read when the process stopped: it is set
    /// aside in `failed/` with a note, not read again (had it crashed the reader, every restart would).
    @Test(arguments: TestBackend.available)
    func aFileLeftInProcessingIsSetAsideAtStart(backend: TestBackend) async throws {
        try await TestDatabase.withStore(backend) { store in
            let directory = try Self.folder()
            defer { try? FileManager.default.removeItem(at: directory) }
            let watcher = try Self.watcher(directory, store)
            try FileManager.default.createDirectory(at: watcher.processing, withIntermediateDirectories: true)
            try Data("{\"source.ip\":".utf8).write(to: watcher.processing.appendingPathComponent("crasher.jsonl"))
            try watcher.prepare()
            #expect(Self.names(watcher.processing).isEmpty)
            #expect(Self.names(watcher.failed) == ["crasher.jsonl", "crasher.jsonl.reason.txt"])
            let reason = try String(contentsOf: watcher.failed.appendingPathComponent("crasher.jsonl.reason.txt"), encoding: .utf8)
            #expect(reason.contains("the process stopped while reading this file"))
            #expect(try await store.ingestRuns(limit: 5).isEmpty, "it was not read")
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
