import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Work that outlives the request that started it (an uploaded file being ingested), owned by the
/// server: each piece is tracked until it ends, and at shutdown the server stops taking new work and
/// waits for what is running, so nothing is cut off half-stored.
public final class BackgroundWork: Service, Sendable {
    private struct State {
        var running: [UUID: Task<Void, Never>] = [:]
        var closed = false
    }

    private let state = Mutex(State())
    private let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Starts `work` unless the server is shutting down; returns whether it was started.
    @discardableResult
    public func start(_ name: String, _ work: @escaping @Sendable () async throws -> Void) -> Bool {
        let id = UUID()
        let logger = self.logger
        return self.state.withLock { state in
            guard !state.closed else { return false }
            state.running[id] = Task {
                do { try await work() } catch { logger.error("background work failed", metadata: ["work": "\(name)", "error": "\(error)"]) }
                self.finished(id)
            }
            return true
        }
    }

    private func finished(_ id: UUID) {
        _ = self.state.withLock { $0.running.removeValue(forKey: id) }
    }

    /// How many pieces are running now.
    public var count: Int { self.state.withLock { $0.running.count } }

    /// Stops taking new work and waits for every running piece.
    public func drain() async {
        let running = self.state.withLock { state in
            state.closed = true
            return Array(state.running.values)
        }
        if !running.isEmpty { self.logger.info("waiting for background work", metadata: ["count": "\(running.count)"]) }
        for task in running { await task.value }
    }

    /// As a service: runs until shutdown, then drains.
    public func run() async throws {
        try? await gracefulShutdown()
        await self.drain()
    }
}
