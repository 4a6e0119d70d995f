import GRDB
import Logging
import Synchronization

/// Copies committed WAL frames into the main database file on a connection of its own, off the writer. SQLite's
/// automatic checkpoint runs inside the commit that crosses its threshold, on the one writer every webhook waits for:
/// it reads back and writes out ~1 000 random pages and fsyncs the main file, and under a busy webhook stream that
/// was most of the writer's kernel time. Here a passive checkpoint (it never blocks the writer or readers) follows
/// every group commit on its own queue, so that copying runs on the other core while the writer goes on. The
/// writer keeps an automatic checkpoint at a higher threshold (`walAutoCheckpointPages`) as the backstop that lets
/// the WAL start over from its beginning: by then the frames are already copied, so it only finishes the job.
final class WALCheckpointer: Sendable {
    /// The writer's automatic checkpoint threshold (SQLite's default is 1 000 pages).
    static let walAutoCheckpointPages = 4_000

    private let path: String
    private let logger: Logger
    private let queue = Mutex<DatabaseQueue?>(nil)
    private let scheduled = Atomic<Bool>(false)
    private let closed = Atomic<Bool>(false)

    init(path: String, logger: Logger) { self.path = path; self.logger = logger }

    /// Asks for a passive checkpoint after a commit; coalesced while one is pending or running.
    func nudge() {
        guard !closed.load(ordering: .acquiring), !scheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        guard let queue = connection() else { scheduled.store(false, ordering: .releasing); return }
        queue.asyncWriteWithoutTransaction { [self] db in
            scheduled.store(false, ordering: .releasing)
            guard !closed.load(ordering: .acquiring) else { return }
            // Busy (the writer's own checkpoint is running) or a reader pinning old frames: the next nudge goes on.
            _ = try? db.checkpoint(.passive)
        }
    }

    /// Closes the checkpointing connection (before the pool closes, e.g. for a restore's file swap).
    func close() {
        closed.store(true, ordering: .releasing)
        let queue = self.queue.withLock { queue in defer { queue = nil }; return queue }
        guard let queue else { return }
        do {
            // Runs after any checkpoint still queued on it.
            try queue.inDatabase { _ in }
            try queue.close()
        } catch {
            logger.warning("closing the WAL checkpointer failed", metadata: ["error": "\(error)"])
        }
    }

    /// Opened at the first nudge (a database that is never written needs no second connection).
    private func connection() -> DatabaseQueue? {
        queue.withLock { queue in
            if let queue { return queue }
            do {
                var config = Configuration()
                config.label = "botflow.wal-checkpointer"
                config.busyMode = .immediateError
                queue = try DatabaseQueue(path: path, configuration: config)
            } catch {
                logger.warning("opening the WAL checkpointer failed; the writer checkpoints alone", metadata: ["error": "\(error)"])
                closed.store(true, ordering: .releasing)
            }
            return queue
        }
    }
}
