import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Memory and disk figures for health checks and metrics (behaviour §11.1), read from the kernel without libraries.
public enum ProcessFigures {
    public struct Memory: Sendable {
        /// Allocator bytes in use / reserved (glibc `mallinfo2`), resident set size.
        public var heapUsed: Int, heapTotal: Int, rss: Int
    }

    /// `heapUsed` = anonymous resident memory (`RssAnon`: what the allocators hold in RAM), `heapTotal` = the data
    /// segment the allocators reserved (`VmData`); glibc's `mallinfo2` is not reachable from Swift's Glibc module.
    public static func memory() -> Memory {
        var used = 0, total = 0
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in status.split(separator: "\n") {
                if line.hasPrefix("RssAnon:") { used = kilobytes(line) }
                if line.hasPrefix("VmData:") { total = kilobytes(line) }
            }
        }
        return Memory(heapUsed: used, heapTotal: total, rss: residentBytes())
    }

    private static func kilobytes(_ line: Substring) -> Int {
        (line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0) * 1024
    }

    /// Resident set size from `/proc/self/statm` (pages × page size).
    public static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The memory limit: the cgroup's (v2 `memory.max`, v1 `memory.limit_in_bytes`) when set, else physical memory.
    public static func memoryLimit() -> Int {
        let physical = Int(ProcessInfo.processInfo.physicalMemory)
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0, limit < physical {
                return limit
            }
        }
        return physical
    }

    /// Free and total bytes of the volume holding `path`.
    public static func disk(at path: String) -> (free: Int, total: Int)? {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return nil }
        return (Int(s.f_bavail) * Int(s.f_frsize), Int(s.f_blocks) * Int(s.f_frsize))
    }
}
