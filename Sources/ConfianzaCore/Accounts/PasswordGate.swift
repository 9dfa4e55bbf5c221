import Dispatch
import Foundation

/// Where passwords are checked: off the threads that serve requests, a few at a time.
///
/// bcrypt is slow on purpose (a quarter of a second at cost 12). Run on Swift's cooperative threads, a
/// burst of sign-ins would hold every one of them and stall every other request. Here each check runs
/// on a thread of its own (Dispatch's), at most `concurrent` at once; at most `waiting` more wait their
/// turn, and anything beyond is refused at once as ``AccountError/busy``, so a flood costs the server
/// no more than `concurrent` cores and a short queue.
public actor PasswordGate {
    public let concurrent: Int
    public let waiting: Int
    private var running = 0
    private var queue: [CheckedContinuation<Void, Never>] = []
    private let work = DispatchQueue(label: "confianza.passwords", attributes: .concurrent)

    /// By default one check at a time per two cores (at least one), and 32 waiting.
    public init(concurrent: Int = max(1, ProcessInfo.processInfo.activeProcessorCount / 2), waiting: Int = 32) {
        self.concurrent = max(1, concurrent)
        self.waiting = max(0, waiting)
    }

    /// Runs `check` (a hash or a verification) off the request threads when a place is free.
    public func run<T: Sendable>(_ check: @escaping @Sendable () -> T) async throws(AccountError) -> T {
        if self.running < self.concurrent {
            self.running += 1
        } else {
            guard self.queue.count < self.waiting else { throw .busy }
            // The place is handed over by the one that leaves (``leave()``), so `running` stays counted.
            await withCheckedContinuation { self.queue.append($0) }
        }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            self.work.async { continuation.resume(returning: check()) }
        }
        self.leave()
        return result
    }

    private func leave() {
        if self.queue.isEmpty {
            self.running -= 1
        } else {
            self.queue.removeFirst().resume()
        }
    }

    /// Checks in flight and waiting, for tests and metrics.
    public var load: (running: Int, waiting: Int) { (self.running, self.queue.count) }
}
