import BotFlowBackup
import BotFlowCache
import BotFlowCore
import BotFlowObservability
import BotFlowStorage
import GRDB
import GRDBSQLite

/// Collects the figures of `/metrics` (behaviour §11.2) and feeds the Prometheus instruments (§11.3).
struct MetricsReport: Sendable {
    let database: AppDatabase
    let cache: ResponseCache
    let metrics: AppMetrics
    let errorLog: ErrorLog
    let clock: any AppClock
    let startedAt: Double
    let backups: BackupService

    struct Facts: Sendable {
        var jobs: [String: Int] = [:]
        var jobsSucceededLastHour = 0
        var outbox: [String: Int] = [:]
        var sentLastHour = 0
        var failedLastHour = 0
        var sqliteMemory = 0
    }

    func facts() async throws -> Facts {
        let hourAgo = Timestamp.format(epochMilliseconds: clock.nowMilliseconds() - 3_600_000)
        return try await database.read { db in
            var f = Facts()
            for row in try Row.fetchAll(db, sql: """
                SELECT state, count(*) AS n FROM jobs WHERE state IN ('queued','running','retrying','dead') GROUP BY state
                """) { f.jobs[row["state"]] = row["n"] }
            f.jobsSucceededLastHour = try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs WHERE state = 'succeeded' AND updated_at >= ?",
                                                       arguments: [hourAgo]) ?? 0
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM outbox WHERE state IN ('queued','sending') GROUP BY state") {
                f.outbox[row["state"]] = row["n"]
            }
            f.sentLastHour = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE state = 'sent' AND sent_at >= ?", arguments: [hourAgo]) ?? 0
            f.failedLastHour = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE state = 'failed' AND updated_at >= ?",
                                                arguments: [hourAgo]) ?? 0
            f.sqliteMemory = Int(sqlite3_memory_used())
            return f
        }
    }

    func uptime() -> Double { monotonicSeconds() - startedAt }

    static func mb(_ bytes: Int) -> Int { Int((Double(bytes) / 1_048_576).rounded()) }

    func json(allQueryShapes: Bool = false) async throws -> JSON {
        let f = try await facts()
        let memory = ProcessFigures.memory()
        let hourAgo = Timestamp.format(epochMilliseconds: clock.nowMilliseconds() - 3_600_000)
        return [
            "queries": database.queryStats.json(limit: allQueryShapes ? QueryStats.maximumShapes : 10),
            "cache": cache.statistics().json,
            "memory": ["heapUsed": .int(Self.mb(memory.heapUsed)), "heapTotal": .int(Self.mb(memory.heapTotal)), "rss": .int(Self.mb(memory.rss)),
                       "external": .int(Self.mb(f.sqliteMemory))],
            "jobs": ["queued": .int(f.jobs["queued"] ?? 0), "running": .int(f.jobs["running"] ?? 0), "retrying": .int(f.jobs["retrying"] ?? 0),
                     "dead": .int(f.jobs["dead"] ?? 0), "succeeded_last_hour": .int(f.jobsSucceededLastHour)],
            "outbox": ["queued": .int(f.outbox["queued"] ?? 0), "sending": .int(f.outbox["sending"] ?? 0), "sent_last_hour": .int(f.sentLastHour),
                       "failed_last_hour": .int(f.failedLastHour)],
            "http": metrics.httpJSON,
            "backups": backupsJSON(),
            "errors": ["last_hour": .int(errorLog.count(since: hourAgo))],
            "uptime": .double(uptime()),
            "timestamp": .string(clock.now()),
        ]
    }

    /// Last success and failure since start, and the backups present in the primary directory.
    func backupsJSON() -> JSON {
        let stats = backups.stats.withLock { $0 }
        return ["last_success_at": .string(stats.lastSuccessAt), "last_failure_at": .string(stats.lastFailureAt),
                "count": .int(backups.list().count)]
    }

    func prometheus() async throws -> [UInt8] {
        let f = try await facts()
        metrics.setGauge("botflow_uptime_seconds", [], uptime())
        let stats = cache.statistics()
        for tier in CacheTier.allCases {
            let t = stats.tiers[tier]!
            let label = [("tier", tier.rawValue)]
            metrics.setCounterTotal("botflow_cache_hits_total", label, t.hits)
            metrics.setCounterTotal("botflow_cache_misses_total", label, t.misses)
            metrics.setCounterTotal("botflow_cache_evictions_total", label, t.evictions)
            metrics.setGauge("botflow_cache_entries", label, Double(t.entries))
            metrics.setGauge("botflow_cache_bytes", label, Double(t.bytes))
        }
        let q = database.queryStats.totals
        metrics.setCounterTotal("botflow_db_queries_total", [], q.statements)
        metrics.setCounterTotal("botflow_db_slow_queries_total", [], q.slow)
        for state in ["queued", "running", "retrying", "dead"] { metrics.setGauge("botflow_jobs", [("state", state)], Double(f.jobs[state] ?? 0)) }
        for state in ["queued", "sending"] { metrics.setGauge("botflow_outbox", [("state", state)], Double(f.outbox[state] ?? 0)) }
        metrics.setGauge("botflow_memory_rss_bytes", [], Double(ProcessFigures.residentBytes()))
        let lastSuccess = backups.stats.withLock { $0.lastSuccessAt }.flatMap(Timestamp.parse).map { Double($0) / 1000 } ?? 0
        metrics.setGauge("botflow_backup_last_success_timestamp_seconds", [], lastSuccess)
        metrics.setCounterTotal("botflow_errors_total", [], errorLog.total)
        return metrics.prometheusText()
    }
}
