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
/// Several servers may watch one inbox (a shared folder) on one database. A file is taken by moving it
/// to `processing/` (only one process wins the move) and read under the run's lease in the database
/// (``IngestLease``). A file found in `processing/` is one another process is reading — left alone —
/// or one whose reader stopped: the first process to see its lease free goes on from the run's
/// checkpoint. A file whose readers stopped twice in the middle (perhaps it crashes them) is set aside
/// in `failed/` instead of being read at every restart. A file that takes longer than `fileTimeout` to
/// read fails alone; the watcher goes on with the next.
struct InboxWatcher: Service {
    let directory: URL
    let pipeline: IngestPipeline
    /// `nil`: guessed for each file from its name and first bytes.
    let format: FeedFormat?
    let logger: Logger
    var interval: Duration = .seconds(2)
    var fileTimeout: Duration = .seconds(15 * 60)
    /// How long a file another process is reading is left before looking at its lease again.
    var busyRecheck: TimeInterval = 15

    var done: URL { self.directory.appendingPathComponent("done") }
    var failed: URL { self.directory.appendingPathComponent("failed") }
    var processing: URL { self.directory.appendingPathComponent("processing") }

    /// What one look at the folders leaves for the next.
    struct Looked: Sendable, Equatable {
        /// Sizes of the files waiting in the inbox (a file is taken once its size holds between two looks).
        var sizes: [String: Int] = [:]
        /// Files in `processing/` another process is reading, and when to look at them again.
        var busy: [String: Date] = [:]
    }

    /// Creates the folders, or says why it cannot.
    func prepare() throws {
        for folder in [self.directory, self.done, self.failed, self.processing] {
            do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw CLIError("cannot use inbox \(folder.path): \(error.localizedDescription)")
            }
        }
    }

    func run() async throws {
        try self.prepare()
        self.logger.info("watching inbox", metadata: ["folder": "\(self.directory.path)", "reader": "\(self.pipeline.leaseOwner)"])
        var looked = Looked()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            looked = await self.scan(looked)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// One look at the folders: files left in `processing/` first, then the inbox.
    func scan(_ previous: Looked) async -> Looked {
        var looked = Looked()
        let now = Date()
        for name in Self.files(in: self.processing) {
            if let wait = previous.busy[name], wait > now {
                looked.busy[name] = wait
                continue
            }
            if await self.read(name: name, path: self.processing.appendingPathComponent(name).path) == .busy {
                looked.busy[name] = now.addingTimeInterval(self.busyRecheck)
            }
        }
        for name in Self.files(in: self.directory) {
            let path = self.directory.appendingPathComponent(name).path
            guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else { continue }
            looked.sizes[name] = size
            guard previous.sizes[name] == size else { continue }  // still growing, or new: look again next time
            await self.ingest(name: name, path: path)
            looked.sizes[name] = nil
        }
        return looked
    }

    /// The plain files of a folder that are not being written (no dot, `.tmp` or `.part`), by name.
    static func files(in folder: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().filter { name in
            guard !name.hasPrefix("."), !name.hasSuffix(".tmp"), !name.hasSuffix(".part") else { return false }
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    /// Takes a file from the inbox (unless another process took it first) and reads it.
    func ingest(name: String, path inboxPath: String) async {
        guard let path = self.take(inboxPath, name: name) else { return }
        _ = await self.read(name: name, path: path)
    }

    enum Outcome: Equatable { case done, failed, busy, gone }

    /// Reads a file in `processing/` and moves it to `done/` or `failed/`; leaves it where it is when
    /// another process is reading it.
    @discardableResult
    func read(name: String, path: String) async -> Outcome {
        let pipeline = self.pipeline
        let format = self.format ?? FeedFormat.guess(path: path)
        do {
            let summary = try await Self.within(self.fileTimeout) {
                try await pipeline.ingest(
                    fileName: name, format: format, source: "inbox", takeoverLimit: 1, open: { try FileChunks(path: path) })
            }
            let c = summary.counts
            self.logger.notice(
                "ingested", metadata: ["file": "\(name)", "read": "\(c.read)", "stored": "\(c.stored)", "duplicates": "\(c.duplicates)",
                                       "quarantined": "\(c.quarantined)", "again": "\(summary.alreadyIngested)",
                                       "resumedAfterLine": "\(summary.resumedAfterLine)"])
            return self.move(path, to: self.done, name: name) == nil ? .gone : .done
        } catch IngestError.busy {
            return .busy
        } catch {
            // Gone meanwhile: another process finished it and moved it.
            guard FileManager.default.fileExists(atPath: path) else { return .gone }
            self.logger.error("inbox file failed", metadata: ["file": "\(name)", "error": "\(error)"])
            self.fail(path, name: name, reason: "\(error)")
            return .failed
        }
    }

    /// Moves a file from the inbox to `processing/` under its own name; `nil` when another process
    /// took it first (or a file of that name is being read: it waits for the next look).
    func take(_ path: String, name: String) -> String? {
        let target = self.processing.appendingPathComponent(name).path
        // rename(2) is atomic and, unlike a move, must not replace a file being read: link, then unlink.
        guard link(path, target) == 0 else { return nil }
        unlink(path)
        return target
    }

    /// Moves a file to `failed/` with a note of why beside it.
    func fail(_ path: String, name: String, reason: String) {
        guard let moved = self.move(path, to: self.failed, name: name) else { return }
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

    /// Moves a file into a folder without overwriting what is there; returns where it went, or `nil`
    /// when it could not (another process moved it first).
    @discardableResult
    func move(_ path: String, to folder: URL, name: String) -> String? {
        var target = folder.appendingPathComponent(name).path
        var attempt = 1
        while FileManager.default.fileExists(atPath: target) {
            attempt += 1
            target = folder.appendingPathComponent("\(name).\(attempt)").path
        }
        do { try FileManager.default.moveItem(atPath: path, toPath: target) } catch {
            if FileManager.default.fileExists(atPath: path) {
                self.logger.error("cannot move inbox file", metadata: ["file": "\(path)", "error": "\(error)"])
            }
            return nil
        }
        return target
    }
}

/// Why the inbox set a file aside.
enum InboxError: Error, CustomStringConvertible, Equatable {
    case tookTooLong(Duration)

    var description: String {
        switch self {
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
