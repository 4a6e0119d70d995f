import Foundation
import Glibc
import Synchronization

/// A child process started with `posix_spawn`, for tests that run the real `botflow` binary or a shell.
///
/// Why not Foundation's `Process`: on Linux, `Process.run()` lists the parent's open file descriptors (to close them
/// in the child) and crashed in a `memcpy` inside that listing while other tests opened and closed SQLite files at the
/// same time (seen in CI with ~1 300 descriptors open). Here the child closes every descriptor above stderr itself
/// (`posix_spawn_file_actions_addclosefrom_np`, glibc 2.34+), so nothing in this process is listed.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    /// The raw `waitpid` status once the child was reaped.
    private let status = Mutex<Int32?>(nil)

    /// Starts `executable`. `stdin`, `stdout`, `stderr`: descriptors the child gets as 0, 1, 2 (nil: `/dev/null`).
    /// The caller keeps its own copies and closes them when it no longer needs them.
    public init(executable: String, arguments: [String], environment: [String: String],
                stdin: Int32? = nil, stdout: Int32? = nil, stderr: Int32? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, target, mode) in [(stdin, Int32(0), O_RDONLY), (stdout, 1, O_WRONLY), (stderr, 2, O_WRONLY)] {
            if let fd { posix_spawn_file_actions_adddup2(&actions, fd, target) } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", mode, 0)
            }
        }
        guard let closeFrom = Self.closeFrom, closeFrom(&actions, 3) == 0 else {
            throw ChildProcessError("posix_spawn_file_actions_addclosefrom_np is not available (glibc 2.34 or later is needed)")
        }
        // Default signal dispositions and an empty mask in the child, whatever this thread blocks or ignores.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw ChildProcessError("posix_spawn \(executable) failed: \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    deinit {
        // Never leave a zombie (or a running server) behind.
        if isRunning {
            signal(SIGKILL)
            wait()
        }
    }

    /// `int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *, int)`: glibc declares it only for
    /// `_GNU_SOURCE`, which Swift's Glibc module does not see.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let closeFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: CloseFrom.self)
    }

    /// Whether the child is still running (reaps it once it has exited).
    public var isRunning: Bool {
        status.withLock { status in
            guard status == nil else { return false }
            var raw: Int32 = 0
            let reaped = waitpid(pid, &raw, WNOHANG)
            if reaped == pid { status = raw; return false }
            return reaped == 0
        }
    }

    /// Blocks until the child exits.
    public func wait() {
        status.withLock { status in
            guard status == nil else { return }
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
            status = raw
        }
    }

    public func signal(_ signal: Int32) { _ = kill(pid, signal) }

    /// Like Foundation's `terminationStatus`: the exit code, or the signal number when a signal ended the child;
    /// nil while it runs.
    public var terminationStatus: Int32? {
        guard !isRunning, let raw = status.withLock({ $0 }) else { return nil }
        return endedBySignal ? raw & 0x7f : (raw >> 8) & 0xff
    }

    /// True when a signal (not an exit) ended the child.
    public var endedBySignal: Bool {
        guard let raw = status.withLock({ $0 }) else { return false }
        let signal = raw & 0x7f
        return signal != 0 && signal != 0x7f
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
