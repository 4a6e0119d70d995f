import Glibc
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
    /// The checkpointing connection opens once the WAL file has reached this size: a quiet database (and each of the
    /// test suite's hundreds) never needs the second connection and its three file descriptors.
    static let openAtWALBytes = 4 << 20

    private let path: String
    private let logger: Logger
    /// The connection (opened at the first nudge) and whether `close()` ran; one lock, so a nudge racing a close can
    /// never open a connection after it (a restore swaps the file right after closing).
    private let state = Mutex<(queue: DatabaseQueue?, closed: Bool)>((nil, false))
    private let scheduled = Atomic<Bool>(false)
    private let openFailureLogged = Atomic<Bool>(false)

    init(path: String, logger: Logger) { self.path = path; self.logger = logger }

    /// Asks for a passive checkpoint after a commit; coalesced while one is pending or running.
    func nudge() {
        guard !scheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        guard let queue = connection() else { scheduled.store(false, ordering: .releasing); return }
        queue.asyncWriteWithoutTransaction { [self] db in
            scheduled.store(false, ordering: .releasing)
            guard !state.withLock({ $0.closed }) else { return }
            // Busy (the writer's own checkpoint is running) or a reader pinning old frames: the next nudge goes on.
            _ = try? db.checkpoint(.passive)
        }
    }

    /// Closes the checkpointing connection (before the pool closes, e.g. for a restore's file swap). Later nudges do
    /// nothing.
    func close() {
        let queue = state.withLock { state in
            defer { state = (nil, true) }
            return state.queue
        }
        guard let queue else { return }
        do {
            // Runs after any checkpoint still queued on it.
            queue.inDatabase { _ in }
            try queue.close()
        } catch {
            logger.warning("closing the WAL checkpointer failed", metadata: ["error": "\(error)"])
        }
    }

    /// The checkpointing connection, opened at the first nudge after the WAL reached `openAtWALBytes` (until then the
    /// writer's own automatic checkpoint has nothing to take long over); nil once closed. An open that fails is tried
    /// again at a later nudge (logged once).
    private func connection() -> DatabaseQueue? {
        state.withLock { state in
            guard !state.closed else { return nil }
            if let queue = state.queue { return queue }
            var info = stat()
            guard stat(path + "-wal", &info) == 0, Int(info.st_size) >= Self.openAtWALBytes else { return nil }
            do {
                var config = Configuration()
                config.label = "botflow.wal-checkpointer"
                config.busyMode = .timeout(0.1)
                state.queue = try DatabaseQueue(path: path, configuration: config)
            } catch {
                if !openFailureLogged.exchange(true, ordering: .relaxed) {
                    logger.warning("opening the WAL checkpointer failed; the writer checkpoints alone until it opens",
                                   metadata: ["error": "\(error)"])
                }
            }
            return state.queue
        }
    }
}
