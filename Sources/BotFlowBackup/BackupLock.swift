import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The process-wide backup lock of behaviour §13.4 step 1 / §6.8: one create or restore at a time. It is also an
/// `flock` on `<data dir>/backup.lock`, so a `botflow backup …` command and the server on the same data directory
/// exclude each other as well.
public final class BackupLock: Sendable {
    public enum Operation: String, Sendable { case backup, restore }

    private let path: String
    private let holder = Mutex<Operation?>(nil)

    init(dataDirectory: String) { path = dataDirectory + "/backup.lock" }

    /// What holds the lock now in this process (nil when free here; another process may still hold the file lock).
    public var currentOperation: Operation? { holder.withLock { $0 } }

    /// Takes the lock if free (API and CLI callers: a taken lock is a 409 / exit 1).
    func tryAcquire(_ operation: Operation) -> Held? {
        let taken = holder.withLock { current -> Bool in
            guard current == nil else { return false }
            current = operation
            return true
        }
        guard taken else { return nil }
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        if fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 {
            return Held(lock: self, fd: fd)
        }
        if fd >= 0 { close(fd) }
        holder.withLock { $0 = nil }
        return nil
    }

    /// Waits for the lock (the scheduled backup waits instead of failing, §13.4 step 1).
    func acquire(_ operation: Operation) async -> Held {
        while true {
            if let held = tryAcquire(operation) { return held }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    fileprivate func release(fd: Int32) {
        flock(fd, LOCK_UN)
        close(fd)
        holder.withLock { $0 = nil }
    }

    /// Proof of holding the lock; `release()` once when done.
    final class Held: Sendable {
        private let lock: BackupLock
        private let fd: Int32
        private let released = Mutex(false)

        fileprivate init(lock: BackupLock, fd: Int32) { self.lock = lock; self.fd = fd }

        func release() {
            let first = released.withLock { done -> Bool in
                defer { done = true }
                return !done
            }
            if first { lock.release(fd: fd) }
        }

        deinit { release() }
    }
}
