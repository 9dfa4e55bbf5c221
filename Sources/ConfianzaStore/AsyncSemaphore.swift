/// A first-come, first-served lock for async code: the single SQLite connection is used by one task
/// at a time, and a transaction holds it from BEGIN to COMMIT. (Tests use it to pace set-up too.)
public actor AsyncSemaphore {
    private var permits: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(permits: Int) { self.permits = permits }

    public func acquire() async {
        if self.permits > 0 {
            self.permits -= 1
            return
        }
        await withCheckedContinuation { self.waiters.append($0) }
    }

    public func release() {
        if self.waiters.isEmpty {
            self.permits += 1
        } else {
            self.waiters.removeFirst().resume()
        }
    }

    /// Runs `body` holding one permit.
    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await self.acquire()
        defer { self.release() }
        return try await body()
    }
}
