import Foundation

/// A few dedicated threads for the backup's CPU-heavy rounds (parallel deflate). Plain OS threads rather than
/// `DispatchQueue.concurrentPerform`: the HTTP server's tasks run on the dispatch thread pool, and a backup that kept
/// that pool's threads busy for a minute would make API requests wait for a free thread. Threads of their own are
/// scheduled by the kernel like the server's, so the API only shares the CPU with them (its p99 is measured during a
/// backup by `scripts/bench-backup`).
final class WorkerTeam: @unchecked Sendable {
    /// Threads besides the caller's, which works too.
    private let helpers: Int
    private let condition = NSCondition()
    private var body: ((Int) -> Void)?
    private var round = 0
    private var nextIndex = 0
    private var iterations = 0
    private var busyHelpers = 0
    private var stopping = false

    init(threads: Int) {
        helpers = max(0, threads - 1)
        for _ in 0..<helpers {
            // The thread keeps the team alive until `stop()` lets it return.
            let thread = Thread { self.helperLoop() }
            thread.name = "botflow-backup-worker"
            thread.start()
        }
    }

    /// Runs `body(0) … body(iterations − 1)` on the team and returns when every call has returned.
    func run(iterations: Int, _ body: @escaping (Int) -> Void) {
        condition.lock()
        self.body = body
        self.iterations = iterations
        nextIndex = 0
        busyHelpers = helpers
        round += 1
        condition.broadcast()
        condition.unlock()
        work()
        condition.lock()
        while busyHelpers > 0 { condition.wait() }
        self.body = nil
        condition.unlock()
    }

    /// Takes indexes until none is left.
    private func work() {
        while true {
            condition.lock()
            let i = nextIndex
            nextIndex += 1
            let body = self.body
            let count = iterations
            condition.unlock()
            guard i < count, let body else { return }
            body(i)
        }
    }

    private func helperLoop() {
        var seen = 0
        while true {
            condition.lock()
            while round == seen && !stopping { condition.wait() }
            if stopping { condition.unlock(); return }
            seen = round
            condition.unlock()
            work()
            condition.lock()
            busyHelpers -= 1
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Lets the helper threads end (they hold no reference to the team once they have seen this).
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }
}
