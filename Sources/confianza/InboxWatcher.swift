import ConfianzaCore
import ConfianzaFeeds
import Foundation
import Logging
import ServiceLifecycle

/// Watches a folder where rsync or a mail filter drops feed files, ingests each, and moves it to
/// `done/` or, when it could not be read at all, to `failed/` with a note of why. Files whose name
/// starts with a dot or ends in `.tmp`/`.part` are still being written and are left alone, and so is a
/// file until its size stays the same between two looks.
struct InboxWatcher: Service {
    let directory: URL
    let pipeline: IngestPipeline
    /// `nil`: guessed for each file from its name and first bytes.
    let format: FeedFormat?
    let logger: Logger
    var interval: Duration = .seconds(2)

    var done: URL { self.directory.appendingPathComponent("done") }
    var failed: URL { self.directory.appendingPathComponent("failed") }

    /// Creates the folders, or says why it cannot.
    func prepare() throws {
        for folder in [self.directory, self.done, self.failed] {
            do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw CLIError("cannot use inbox \(folder.path): \(error.localizedDescription)")
            }
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

    func ingest(name: String, path: String) async {
        do {
            let summary = try await self.pipeline.ingest(
                fileName: name, format: self.format ?? FeedFormat.guess(path: path), source: "inbox", open: { try FileChunks(path: path) })
            let c = summary.counts
            self.logger.notice(
                "ingested", metadata: ["file": "\(name)", "read": "\(c.read)", "stored": "\(c.stored)", "duplicates": "\(c.duplicates)",
                                       "quarantined": "\(c.quarantined)", "again": "\(summary.alreadyIngested)"])
            self.move(path, to: self.done, name: name)
        } catch {
            self.logger.error("inbox file failed", metadata: ["file": "\(name)", "error": "\(error)"])
            let moved = self.move(path, to: self.failed, name: name)
            try? Data("\(error)\n".utf8).write(to: URL(fileURLWithPath: moved + ".reason.txt"))
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
