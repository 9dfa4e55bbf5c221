import ConfianzaCore
import ConfianzaMail
import Foundation
import Logging
import ServiceLifecycle

/// Sends the outbox while the server runs: first marks what a stopped process left half-sent as
/// uncertain, then sends what is due every few seconds, and queues the daily and weekly digests
/// when they come due.
struct OutboxService: Service {
    let sender: OutboxSender
    let incidents: IncidentService
    let tag: String
    /// What digests say, in each contact's language.
    let texts: TextCatalogue
    let logger: Logger
    var interval: Duration = .seconds(2)
    /// How often digests that have come due are queued.
    var digestInterval: Duration = .seconds(60)

    func run() async throws {
        do {
            let uncertain = try await self.sender.recover()
            if uncertain > 0 { self.logger.warning("notices of uncertain delivery (the last process stopped mid-send)", metadata: ["count": "\(uncertain)"]) }
        } catch {
            self.logger.error("cannot check the outbox", metadata: ["error": "\(error)"])
        }
        var lastDigests = ContinuousClock.now - self.digestInterval
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if ContinuousClock.now - lastDigests >= self.digestInterval {
                lastDigests = ContinuousClock.now
                do {
                    let queued = try await self.incidents.queueDigests(tag: self.tag, texts: self.texts)
                    if queued > 0 { self.logger.notice("digests queued", metadata: ["count": "\(queued)"]) }
                } catch {
                    self.logger.error("queueing digests failed", metadata: ["error": "\(error)"])
                }
            }
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
