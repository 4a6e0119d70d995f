import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The exclusive lock a running server holds on `<data dir>/botflow.lock` (behaviour §13.8), so a second server or
/// an offline `botflow backup restore` cannot work on a data directory a live server is using. The kernel drops the
/// lock when the process dies, so a crash never leaves a stale lock behind.
public final class DataDirectoryLock: Sendable {
    private let fd: Int32
    public let path: String

    private init(fd: Int32, path: String) { self.fd = fd; self.path = path }

    /// The lock, or nil when another process holds it.
    public static func acquire(dataDirectory: String) throws -> DataDirectoryLock? {
        let path = dataDirectory + "/botflow.lock"
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        guard fd >= 0 else { throw LockError(message: "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return DataDirectoryLock(fd: fd, path: path)
    }

    /// True while some process (possibly this one) holds the lock.
    public static func isHeld(dataDirectory: String) -> Bool {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/botflow.lock") else { return false }
        guard let lock = try? acquire(dataDirectory: dataDirectory) else { return true }
        _ = lock
        return false
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    public struct LockError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}
