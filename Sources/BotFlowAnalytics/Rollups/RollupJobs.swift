import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import GRDB

/// The `rollup_hourly` and `rollup_daily` jobs (behaviour §10.6). Each run catches up from the last mark in
/// `app_meta` (48 h / 7 days at most), oldest first. The figures are read from one snapshot, then every upsert,
/// the mark and the job's `succeeded` commit together; re-running is harmless because every write is an upsert.
public enum RollupJobs {
    /// Serialises rollup runs, so two catch-ups never interleave their marks.
    static let serialKey = "rollup"

    public static func hourly(hourStart: Int64, runAt: String? = nil) -> JobSpec {
        let hour = Timestamp.format(epochMilliseconds: hourStart)
        return JobSpec(type: .rollup_hourly, payload: ["hour": .string(hour)], serialKey: serialKey, dedupeKey: "rollup_hourly:\(hour)",
                       runAt: runAt)
    }

    public static func daily(date: String, runAt: String? = nil) -> JobSpec {
        JobSpec(type: .rollup_daily, payload: ["date": .string(date)], serialKey: serialKey, dedupeKey: "rollup_daily:\(date)", runAt: runAt)
    }

    struct Hourly: JobHandler {
        let costPer1K: Double
        let rolledUp: @Sendable (Set<String>) -> Void

        func run(_ job: ClaimedJob, _ env: JobEnvironment) async throws {
            guard let text = job.payload["hour"].stringValue, let target = Timestamp.parse(text),
                HourGrid.floorMod(target, HourGrid.hourMilliseconds) == 0
            else { throw JobFailure("rollup_hourly without a valid hour", retryable: false) }
            let costPer1K = costPer1K
            let rows = try await env.database.read { db -> [HourlyUsage] in
                let last = try AppMeta.get(db, RollupState.lastHourKey).flatMap(Timestamp.parse)
                return try RollupState.hours(target: target, lastRolledUp: last).flatMap {
                    try HourlyUsage.compute(db, hourStart: $0, costPer1K: costPer1K)
                }
            }
            try await env.finish(job) { db, now in
                for row in rows { try row.upsert(db, now: now) }
                let last = try AppMeta.get(db, RollupState.lastHourKey)
                if last.map({ text > $0 }) ?? true { try AppMeta.set(db, RollupState.lastHourKey, text) }
            }
            rolledUp(Set(rows.map(\.organizationId)))
        }
    }

    struct Daily: JobHandler {
        let costPer1K: Double
        let rolledUp: @Sendable (Set<String>) -> Void

        func run(_ job: ClaimedJob, _ env: JobEnvironment) async throws {
            guard let target = job.payload["date"].stringValue, CSVExport.isDate(target) else {
                throw JobFailure("rollup_daily without a valid date", retryable: false)
            }
            let costPer1K = costPer1K
            let days = try await env.database.read { db -> [DailyRollup] in
                let last = try AppMeta.get(db, RollupState.lastDateKey)
                return try RollupState.dates(target: target, lastRolledUp: last).map {
                    try DailyRollup.compute(db, date: $0, costPer1K: costPer1K)
                }
            }
            try await env.finish(job) { db, now in
                for day in days { try day.upsert(db, now: now) }
                let last = try AppMeta.get(db, RollupState.lastDateKey)
                if last.map({ target > $0 }) ?? true { try AppMeta.set(db, RollupState.lastDateKey, target) }
            }
            rolledUp(days.reduce(into: Set<String>()) { $0.formUnion($1.organizations) })
        }
    }
}
