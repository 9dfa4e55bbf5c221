import ConfianzaCore
import ConfianzaMail
import Foundation
import Logging
import ServiceLifecycle

/// Sends the outbox while the server runs: first marks what a stopped process left half-sent as
/// uncertain, then sends what is due every few seconds.
struct OutboxService: Service {
    let sender: OutboxSender
    let logger: Logger
    var interval: Duration = .seconds(2)

    func run() async throws {
        do {
            let uncertain = try await self.sender.recover()
            if uncertain > 0 { self.logger.warning("notices of uncertain delivery (the last process stopped mid-send)", metadata: ["count": "\(uncertain)"]) }
        } catch {
            self.logger.error("cannot check the outbox", metadata: ["error": "\(error)"])
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let sent = try await self.sender.sendDue()
                if sent > 0 { self.logger.notice("notices sent", metadata: ["count": "\(sent)"]) }
            } catch {
                self.logger.error("sending the outbox failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }
}
