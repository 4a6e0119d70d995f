import BotFlowCore
import Foundation
import GRDB
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

    private struct State {
        var shapes: [String: Shape] = [:]
        /// Raw SQL → shape, so a prepared statement is normalised once.
        var shapeOf: [String: String] = [:]
        var statements = 0
        var slow = 0
    }

    private let state = LockedValue(State())
    public let slowThresholdMs: Int
    let logger: Logger

    public init(slowThresholdMs: Int, logger: Logger) { self.slowThresholdMs = slowThresholdMs; self.logger = logger }

    func record(sql: String, seconds: Double) {
        let ms = seconds * 1000
        let (shape, isSlow) = state.withLock { s -> (String, Bool) in
            let shape: String
            if let known = s.shapeOf[sql] { shape = known } else {
                shape = Self.shape(sql)
                if s.shapeOf.count < 10_000 { s.shapeOf[sql] = shape }
            }
            var entry = s.shapes[shape] ?? Shape()
            entry.count += 1
            entry.totalMs += ms
            entry.minMs = min(entry.minMs, ms)
            entry.maxMs = max(entry.maxMs, ms)
            if s.shapes[shape] != nil || s.shapes.count < 10_000 { s.shapes[shape] = entry }
            s.statements += 1
            let isSlow = ms > Double(slowThresholdMs)
            if isSlow { s.slow += 1 }
            return (shape, isSlow)
        }
        if isSlow {
            logger.warning("slow query", metadata: [
                "sql_shape": "\(shape)", "duration_ms": "\(Int(ms.rounded()))", "threshold_ms": "\(slowThresholdMs)",
            ])
        }
    }

    /// Statements timed and slow statements since start.
    public var totals: (statements: Int, slow: Int, shapes: Int) { state.withLock { ($0.statements, $0.slow, $0.shapes.count) } }

    /// The slowest shapes by average duration.
    public func slowest(_ limit: Int) -> [(shape: String, stats: Shape)] {
        state.withLock { s in s.shapes.sorted { $0.value.avgMs > $1.value.avgMs }.prefix(limit).map { ($0.key, $0.value) } }
    }

    /// The `queries` object of `/metrics` JSON (behaviour §11.2).
    public var json: JSON {
        func ms(_ v: Double) -> JSON { .double((v * 100).rounded() / 100) }
        let slowest = self.slowest(10).map { entry -> JSON in
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
