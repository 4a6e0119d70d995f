import BotFlowCore

/// The in-memory error log of behaviour §12: the last `capacity` 5xx responses and dead jobs, newest first on read.
public final class ErrorLog: Sendable {
    public struct Entry: Sendable, Equatable {
        public var timestamp: String
        public var requestId: String?
        public var method: String?
        public var path: String?
        public var status: Int?
        public var error: String
        public var message: String
        /// `http` or `job:<type>`.
        public var source: String

        public init(timestamp: String, requestId: String? = nil, method: String? = nil, path: String? = nil, status: Int? = nil,
                    error: String, message: String, source: String) {
            self.timestamp = timestamp; self.requestId = requestId; self.method = method; self.path = path; self.status = status
            self.error = error; self.message = message; self.source = source
        }

        public var json: JSON {
            ["timestamp": .string(timestamp), "request_id": .string(requestId), "method": .string(method), "path": .string(path),
             "status": .int(status), "error": .string(error), "message": .string(message), "source": .string(source)]
        }
    }

    private struct Ring { var entries: [Entry] = []; var next = 0; var total = 0 }
    private let ring = LockedValue(Ring())
    public let capacity: Int

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public func record(_ entry: Entry) {
        ring.withLock { r in
            if r.entries.count < capacity { r.entries.append(entry) } else { r.entries[r.next] = entry }
            r.next = (r.next + 1) % capacity
            r.total += 1
        }
    }

    /// Newest first, at most `limit`.
    public func recent(limit: Int) -> [Entry] {
        ring.withLock { r in
            guard !r.entries.isEmpty else { return [] }
            var out: [Entry] = []
            var i = (r.next - 1 + r.entries.count) % r.entries.count
            while out.count < min(limit, r.entries.count) {
                out.append(r.entries[i])
                i = (i - 1 + r.entries.count) % r.entries.count
            }
            return out
        }
    }

    /// Entries whose timestamp is at or after `since` (ISO timestamps order as text).
    public func count(since: String) -> Int { ring.withLock { $0.entries.filter { $0.timestamp >= since }.count } }

    /// Everything recorded since start (the Prometheus counter).
    public var total: Int { ring.withLock { $0.total } }
}
