import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Small file primitives with the durability a backup needs: data is fsynced before the rename that publishes it,
/// and the directory is fsynced after, so a crash leaves either the old state or the complete new file.
enum FileIO {
    static let chunkSize = 1 << 20

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    static func readAll(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { Array($0) }
    }

    static func size(_ path: String) -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
    }

    static func remove(_ path: String) {
        unlink(path)
    }

    static func createDirectory(_ path: String) throws(BackupError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw BackupError("cannot create directory \(path): \(error.localizedDescription)")
        }
    }

    /// Writes `bytes` to `<path>.partial`, fsyncs, renames to `path`, fsyncs the directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(BackupError) {
        let partial = path + ".partial"
        do {
            let out = try OutputFile(path: partial)
            try out.write(bytes)
            try out.syncAndClose()
            try rename(partial, path)
        } catch {
            remove(partial)
            throw error
        }
    }

    /// Copies `source` to `<destination>.partial`, fsyncs, renames; returns the copy's SHA-256 (hex), read back
    /// from the written file so a bad disk is noticed here rather than at restore time.
    static func copyAtomically(_ source: String, to destination: String) throws(BackupError) -> String {
        let partial = destination + ".partial"
        do {
            let input = try InputFile(path: source)
            defer { input.close() }
            let out = try OutputFile(path: partial)
            while let chunk = try input.read(chunkSize) { try out.write(chunk) }
            try out.syncAndClose()
            try rename(partial, destination)
        } catch {
            remove(partial)
            throw error
        }
        return try sha256(ofFile: destination)
    }

    static func rename(_ from: String, _ to: String) throws(BackupError) {
        guard Glibc.rename(from, to) == 0 else { throw BackupError("rename \(from) → \(to) failed: \(errnoText())") }
        syncDirectory(of: to)
    }

    /// fsync of the directory holding `path`, so a rename survives power loss.
    static func syncDirectory(of path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    static func sha256(ofFile path: String) throws(BackupError) -> String {
        let input = try InputFile(path: path)
        defer { input.close() }
        var hash = SHA256()
        while let chunk = try input.read(chunkSize) { hash.update(data: chunk) }
        return hex(hash.finalize())
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// A file read in chunks with POSIX calls (no Foundation buffering surprises on Linux).
final class InputFile {
    private var fd: Int32

    init(path: String) throws(BackupError) {
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw BackupError("cannot open \(path): \(FileIO.errnoText())") }
    }

    /// Up to `count` bytes; nil at end of file.
    func read(_ count: Int) throws(BackupError) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = buffer.withUnsafeMutableBytes { raw in Glibc.read(fd, raw.baseAddress! + filled, count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BackupError("read failed: \(FileIO.errnoText())")
            }
            if n == 0 { break }
            filled += n
        }
        if filled == 0 { return nil }
        buffer.removeLast(count - filled)
        return buffer
    }

    /// Fills `buffer` from the file; returns how many bytes it holds, fewer than its size only at end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(BackupError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = Glibc.read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            if n < 0 {
                if errno == EINTR { continue }
                throw BackupError("read failed: \(FileIO.errnoText())")
            }
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { close() }
}

/// A new file (mode 0600: a backup is as sensitive as the database) written with POSIX calls and fsynced on close.
final class OutputFile {
    private var fd: Int32
    let path: String

    init(path: String) throws(BackupError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw BackupError("cannot create \(path): \(FileIO.errnoText())") }
    }

    func write(_ bytes: [UInt8]) throws(BackupError) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { raw in Glibc.write(fd, raw.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BackupError("write to \(path) failed: \(FileIO.errnoText())")
            }
            written += n
        }
    }

    func syncAndClose() throws(BackupError) {
        defer { close() }
        guard fsync(fd) == 0 else { throw BackupError("fsync of \(path) failed: \(FileIO.errnoText())") }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { close() }
}
