import Foundation
import Synchronization

/// A clock a test moves by hand, for services that take `now`.
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    public init(start: Date = Date(timeIntervalSince1970: 1_764_000_000)) { self.current = Mutex(start) }

    public var now: Date { self.current.withLock { $0 } }
    public func advance(_ seconds: TimeInterval) { self.current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
