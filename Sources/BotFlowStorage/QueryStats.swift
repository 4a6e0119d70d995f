import BotFlowCore
import Foundation
import GRDB
import GRDBSQLite
import Logging

/// Timing of every SQL statement (behaviour §11.4): per query shape — the SQL with literals replaced by `?` and
/// whitespace collapsed — count, total, min and max duration; statements over the slow threshold are logged.
public final class QueryStats: Sendable {
    public struct Shape: Sendable {
        public var count = 0
        public var totalMs = 0.0
        public var minMs = Double.infinity
        public var maxMs = 0.0
        public var avgMs: Double { count == 0 ? 0 : totalMs / Double(count) }
    }

    /// `@unchecked`: the raw pointers are private copies, only touched under the lock.
    private struct State: @unchecked Sendable {
        /// Shapes by first appearance; `index` maps a shape to its slot.
        var shapes: [(shape: String, stats: Shape)] = []
        var index: [String: Int] = [:]
        /// The statement text SQLite hands the hook (`sqlite3_sql`) → shape slot. The text lives as long as its prepared
        /// statement and GRDB caches those, so the pointer is a stable key; a private copy of the text guards against
        /// a finalized statement's memory being reused for another one.
        var byText: [UnsafeRawPointer: (copy: UnsafeMutablePointer<CChar>, slot: Int)] = [:]
        /// Statement text → shape slot, for statements prepared afresh each time (GRDB's `BEGIN`/`COMMIT` of every
        /// read and write, uncached statements): their text pointer changes, their text does not.
        var byRawText: [String: Int] = [:]
        var statements = 0
        var slow = 0
    }

    private let state = LockedValue(State())
    public let slowThresholdMs: Int
    let logger: Logger
    public static let maximumShapes = 10_000

    public init(slowThresholdMs: Int, logger: Logger) { self.slowThresholdMs = slowThresholdMs; self.logger = logger }

    deinit { state.withLock { s in for entry in s.byText.values { free(entry.copy) } } }

    /// Times every statement of one connection with SQLite's own profile hook. Not GRDB's `trace(options:)`: its
    /// `TraceEvent.Statement.sql` trims each statement's text through Foundation, which cost ~15 % of the server's
    /// CPU under webhook load. The connection's `prepareDatabase` closure retains `self`, so the unretained context
    /// pointer outlives the hook.
    func install(on db: Database) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        sqlite3_trace_v2(db.sqliteConnection, UInt32(SQLITE_TRACE_PROFILE), { _, context, statement, nanoseconds in
            guard let context, let statement, let nanoseconds, let sql = sqlite3_sql(OpaquePointer(statement)) else { return 0 }
            let stats = Unmanaged<QueryStats>.fromOpaque(context).takeUnretainedValue()
            stats.record(text: sql, seconds: Double(nanoseconds.assumingMemoryBound(to: Int64.self).pointee) / 1e9)
            return 0
        }, context)
    }

    /// One timed statement, identified by the text SQLite keeps for it.
    func record(text: UnsafePointer<CChar>, seconds: Double) {
        let key = UnsafeRawPointer(text)
        let outcome = state.withLock { s -> (slot: Int, slow: Bool)? in
            if let known = s.byText[key], strcmp(known.copy, text) == 0 { return Self.add(seconds, to: known.slot, in: &s, threshold: slowThresholdMs) }
            let raw = String(cString: text)
            let known = s.byRawText[raw]
            guard let slot = known ?? Self.slot(for: Self.shape(raw), in: &s) else { s.statements += 1; return nil }
            if known == nil, s.byRawText.count < Self.maximumShapes { s.byRawText[raw] = slot }
            if let stale = s.byText[key] { free(stale.copy) }
            if s.byText[key] != nil || s.byText.count < Self.maximumShapes, let copy = strdup(text) { s.byText[key] = (copy, slot) }
            return Self.add(seconds, to: slot, in: &s, threshold: slowThresholdMs)
        }
        if let outcome, outcome.slow { logSlow(slot: outcome.slot, ms: seconds * 1000) }
    }

    /// One timed statement given as text (tests, and callers without a prepared statement).
    func record(sql: String, seconds: Double) {
        let outcome = state.withLock { s -> (slot: Int, slow: Bool)? in
            guard let slot = Self.slot(for: Self.shape(sql), in: &s) else { s.statements += 1; return nil }
            return Self.add(seconds, to: slot, in: &s, threshold: slowThresholdMs)
        }
        if let outcome, outcome.slow { logSlow(slot: outcome.slot, ms: seconds * 1000) }
    }

    private static func slot(for shape: String, in s: inout State) -> Int? {
        if let slot = s.index[shape] { return slot }
        guard s.shapes.count < maximumShapes else { return nil }
        s.shapes.append((shape, Shape()))
        s.index[shape] = s.shapes.count - 1
        return s.shapes.count - 1
    }

    private static func add(_ seconds: Double, to slot: Int, in s: inout State, threshold: Int) -> (slot: Int, slow: Bool) {
        let ms = seconds * 1000
        s.shapes[slot].stats.count += 1
        s.shapes[slot].stats.totalMs += ms
        s.shapes[slot].stats.minMs = min(s.shapes[slot].stats.minMs, ms)
        s.shapes[slot].stats.maxMs = max(s.shapes[slot].stats.maxMs, ms)
        s.statements += 1
        let slow = ms > Double(threshold)
        if slow { s.slow += 1 }
        return (slot, slow)
    }

    private func logSlow(slot: Int, ms: Double) {
        let shape = state.withLock { $0.shapes[slot].shape }
        logger.warning("slow query", metadata: [
            "sql_shape": "\(shape)", "duration_ms": "\(Int(ms.rounded()))", "threshold_ms": "\(slowThresholdMs)",
        ])
    }

    /// Statements timed and slow statements since start.
    public var totals: (statements: Int, slow: Int, shapes: Int) { state.withLock { ($0.statements, $0.slow, $0.shapes.count) } }

    /// The slowest shapes by average duration.
    public func slowest(_ limit: Int) -> [(shape: String, stats: Shape)] {
        state.withLock { s in s.shapes.sorted { $0.stats.avgMs > $1.stats.avgMs }.prefix(limit).map { ($0.shape, $0.stats) } }
    }

    /// The `queries` object of `/metrics` JSON (behaviour §11.2): the `limit` slowest shapes by average.
    public func json(limit: Int = 10) -> JSON {
        func ms(_ v: Double) -> JSON { .double((v * 100).rounded() / 100) }
        let slowest = self.slowest(limit).map { entry -> JSON in
            ["query": .string(entry.shape), "count": .int(entry.stats.count), "totalDuration": ms(entry.stats.totalMs),
             "minDuration": ms(entry.stats.minMs), "maxDuration": ms(entry.stats.maxMs), "avgDuration": ms(entry.stats.avgMs)]
        }
        let t = totals
        return ["slowest": .array(slowest), "total": .int(t.shapes), "slow_threshold_ms": .int(slowThresholdMs), "slow_count": .int(t.slow)]
    }

    /// Literals (quoted strings, numbers outside identifiers) become `?`; runs of whitespace become one space.
    public static func shape(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count)
        let chars = Array(sql.unicodeScalars)
        var i = 0
        var lastWasSpace = false
        while i < chars.count {
            let c = chars[i]
            if c == "'" {
                i += 1
                while i < chars.count {
                    if chars[i] == "'" { if i + 1 < chars.count, chars[i + 1] == "'" { i += 2; continue }; break }
                    i += 1
                }
                i += 1
                out.append("?"); lastWasSpace = false
                continue
            }
            if c.properties.isWhitespace {
                if !lastWasSpace && !out.isEmpty { out.append(" ") }
                lastWasSpace = true
                i += 1
                continue
            }
            let previous = out.unicodeScalars.last
            let inIdentifier = previous.map { $0.properties.isAlphabetic || $0 == "_" || ("0"..."9").contains($0) } ?? false
            if ("0"..."9").contains(c) && !inIdentifier {
                while i < chars.count, ("0"..."9").contains(chars[i]) || chars[i] == "." { i += 1 }
                out.append("?"); lastWasSpace = false
                continue
            }
            out.unicodeScalars.append(c)
            lastWasSpace = false
            i += 1
        }
        return out.trimmingCharacters(in: .whitespaces)
    }
}
