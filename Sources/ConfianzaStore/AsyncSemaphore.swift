/// A first-come, first-served lock for async code: the single SQLite connection is used by one task
/// at a time, and a transaction holds it from BEGIN to COMMIT.
actor AsyncSemaphore {
    private var permits: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(permits: Int) { self.permits = permits }

    func acquire() async {
        if self.permits > 0 {
            self.permits -= 1
            return
        }
        await withCheckedContinuation { self.waiters.append($0) }
    }

    func release() {
        if self.waiters.isEmpty {
            self.permits += 1
        } else {
            self.waiters.removeFirst().resume()
        }
    }
}
