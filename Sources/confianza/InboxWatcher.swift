import ConfianzaCore
import ConfianzaFeeds
import Foundation
import Logging
import ServiceLifecycle

/// Watches a folder where rsync or a mail filter drops feed files, ingests each, and moves it to
/// `done/` or, when it could not be read at all, to `failed/` with a note of why. Files whose name
/// starts with a dot or ends in `.tmp`/`.part` are still being written and are left alone, and so is a
/// file until its size stays the same between two looks.
///
/// A file is moved to `processing/` before it is read. One found there at start was being read when
/// the process stopped (perhaps because reading it crashed the process): it goes to `failed/` with a
/// note, instead of being read again at every restart. A file that takes longer than `fileTimeout` to
/// read fails alone; the watcher goes on with the next.
struct InboxWatcher: Service {
    let directory: URL
    let pipeline: IngestPipeline
    /// `nil`: guessed for each file from its name and first bytes.
    let format: FeedFormat?
    let logger: Logger
    var interval: Duration = .seconds(2)
    var fileTimeout: Duration = .seconds(15 * 60)

    var done: URL { self.directory.appendingPathComponent("done") }
    var failed: URL { self.directory.appendingPathComponent("failed") }
    var processing: URL { self.directory.appendingPathComponent("processing") }

    /// Creates the folders, or says why it cannot; sets aside what a stopped process was reading.
    func prepare() throws {
        for folder in [self.directory, self.done, self.failed, self.processing] {
            do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw CLIError("cannot use inbox \(folder.path): \(error.localizedDescription)")
            }
        }
        let left = (try? FileManager.default.contentsOfDirectory(atPath: self.processing.path)) ?? []
        for name in left.sorted() {
            self.logger.error("inbox file was being read when the process stopped: set aside in failed/", metadata: ["file": "\(name)"])
            self.fail(self.processing.appendingPathComponent(name).path, name: name, reason: InboxError.interrupted.description)
        }
    }

    func run() async throws {
        try self.prepare()
        self.logger.info("watching inbox", metadata: ["folder": "\(self.directory.path)"])
        var sizes: [String: Int] = [:]
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            sizes = await self.scan(previousSizes: sizes)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// One look at the folder; returns the sizes seen, to compare with at the next look.
    func scan(previousSizes: [String: Int]) async -> [String: Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: self.directory.path)) ?? []
        var sizes: [String: Int] = [:]
        for name in names.sorted() where !name.hasPrefix(".") && !name.hasSuffix(".tmp") && !name.hasSuffix(".part") {
            let path = self.directory.appendingPathComponent(name).path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
            else { continue }
            sizes[name] = size
            guard previousSizes[name] == size else { continue }  // still growing, or new: look again next time
            await self.ingest(name: name, path: path)
            sizes[name] = nil
        }
        return sizes
    }

    func ingest(name: String, path inboxPath: String) async {
        let path = self.move(inboxPath, to: self.processing, name: name)
        let pipeline = self.pipeline
        let format = self.format ?? FeedFormat.guess(path: path)
        do {
            let summary = try await Self.within(self.fileTimeout) {
                try await pipeline.ingest(fileName: name, format: format, source: "inbox", open: { try FileChunks(path: path) })
            }
            let c = summary.counts
            self.logger.notice(
                "ingested", metadata: ["file": "\(name)", "read": "\(c.read)", "stored": "\(c.stored)", "duplicates": "\(c.duplicates)",
                                       "quarantined": "\(c.quarantined)", "again": "\(summary.alreadyIngested)"])
            self.move(path, to: self.done, name: name)
        } catch {
            self.logger.error("inbox file failed", metadata: ["file": "\(name)", "error": "\(error)"])
            self.fail(path, name: name, reason: "\(error)")
        }
    }

    /// Moves a file to `failed/` with a note of why beside it.
    func fail(_ path: String, name: String, reason: String) {
        let moved = self.move(path, to: self.failed, name: name)
        try? Data("\(reason)\n".utf8).write(to: URL(fileURLWithPath: moved + ".reason.txt"))
    }

    /// Runs `body`, cancelled when it takes longer than `limit` (reading a file checks for that between
    /// pieces of 64 KB).
    static func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw InboxError.tookTooLong(limit) }
            return value
        }
    }

    /// Moves a file into a folder without overwriting what is there; returns where it went.
    @discardableResult
    func move(_ path: String, to folder: URL, name: String) -> String {
        var target = folder.appendingPathComponent(name).path
        var attempt = 1
        while FileManager.default.fileExists(atPath: target) {
            attempt += 1
            target = folder.appendingPathComponent("\(name).\(attempt)").path
        }
        do { try FileManager.default.moveItem(atPath: path, toPath: target) } catch {
            self.logger.error("cannot move inbox file", metadata: ["file": "\(path)", "error": "\(error)"])
        }
        return target
    }
}

/// Why the inbox set a file aside.
enum InboxError: Error, CustomStringConvertible, Equatable {
    case interrupted
    case tookTooLong(Duration)

    var description: String {
        switch self {
        case .interrupted:
            "the process stopped while reading this file (reading it may have crashed it): look at it before putting it back in the inbox"
        case .tookTooLong(let limit):
            "reading this file took longer than \(Self.words(limit)), so it was stopped; what was read before is kept, "
                + "and putting the file back resumes from there"
        }
    }

    static func words(_ limit: Duration) -> String {
        let seconds = limit.components.seconds
        return seconds >= 1 ? "\(seconds) seconds" : "\(limit.components.attoseconds / 1_000_000_000_000_000) milliseconds"
    }
}
