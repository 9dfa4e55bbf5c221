import ConfianzaCore
import Foundation
import Logging
import ServiceLifecycle

/// Runs collected feeds on their schedules inside `serve`: every `interval` it fetches the feeds that
/// are due, one after the other, each under its lease (so several servers on one database fetch each
/// once). Stops at the server's shutdown: at once between fetches, after the fetch under way otherwise.
public struct FeedScheduler: Service {
    let collector: FeedCollector
    let interval: Duration
    let logger: Logger

    public init(collector: FeedCollector, interval: Duration = .seconds(30), logger: Logger) {
        self.collector = collector
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do {
                    for fetch in try await self.collector.runDue() where fetch.outcome != .unchanged {
                        self.logger.info(
                            "feed fetched", metadata: ["feed": "\(fetch.feedID)", "outcome": "\(fetch.outcome.rawValue)", "runs": "\(fetch.runs.count)"])
                    }
                } catch is CancellationError {
                    break
                } catch {
                    self.logger.error("feed scheduler: \(error)")
                }
                // The wait ends at once when the server stops; a fetch under way is let finish.
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            }
        } onGracefulShutdown: {}
        await self.collector.http.shutdown()
    }
}
