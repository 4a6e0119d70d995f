import BotFlowStorage
import Logging

/// The file moves of a restore (behaviour §13.7 steps 4–6): park the live file as `botflow.sqlite.pre-restore`,
/// move the verified copy in, and put everything back if anything after that fails.
struct DatabaseSwap {
    let database: AppDatabase
    let logger: Logger

    var live: String { database.path }
    var parked: String { live + ".pre-restore" }

    /// A parked file from an interrupted restore may be the only good copy; never overwrite it.
    func checkNoLeftover() throws(BackupError) {
        if FileIO.exists(parked) {
            throw BackupError("\(parked) exists from an interrupted restore; check it and move it away before restoring again")
        }
    }

    /// Step 4: checkpoint the WAL into the main file and close every connection.
    func closeLive() throws(BackupError) {
        do {
            try database.checkpoint()
            try database.close()
        } catch {
            throw BackupError("closing the live database failed: \(error)")
        }
        // Closing the last connection checkpoints again; a WAL with content left would be lost by the swap.
        if let size = FileIO.size(live + "-wal"), size > 0 {
            try reopenLive()
            throw BackupError("the live database's WAL still holds \(size) bytes after the checkpoint")
        }
    }

    /// Step 5: the atomic swap. On failure the live file is back in place (and still closed).
    func swapIn(_ restored: String) throws(BackupError) {
        try FileIO.rename(live, parked)
        for suffix in ["-wal", "-shm"] { FileIO.remove(live + suffix) }
        do {
            try FileIO.rename(restored, live)
        } catch {
            try? FileIO.rename(parked, live)
            throw error
        }
        FileIO.syncDirectory(of: live)
    }

    /// Step 6 failure: close whatever is open, put the previous file back, reopen it.
    func rollBack() throws(BackupError) {
        try? database.close()
        for suffix in ["", "-wal", "-shm", "-journal"] { FileIO.remove(live + suffix) }
        try FileIO.rename(parked, live)
        try reopenLive()
    }

    func reopenLive() throws(BackupError) {
        do { try database.reopen(logger: logger) } catch { throw BackupError("reopening the database failed: \(error)") }
    }

    /// Step 7: the previous file is no longer needed (its encrypted safety snapshot is kept).
    func commit() {
        FileIO.remove(parked)
        FileIO.syncDirectory(of: live)
    }
}
