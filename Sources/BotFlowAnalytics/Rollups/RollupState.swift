import BotFlowCore
import BotFlowStorage
import GRDB

/// The `app_meta` marks of behaviour §10.6 and the catch-up windows derived from them.
public enum RollupState {
    public static let lastHourKey = "last_rollup_hour"
    public static let lastDateKey = "last_rollup_date"
    /// Catch-up reaches this far back: 48 hours, 7 days.
    public static let maxHours: Int64 = 48
    public static let maxDays: Int64 = 7

    /// The hours to roll up, oldest first, for a run targeting `target` (an hour start): every hour after the last
    /// rolled-up one within the 48 h window, always including `target` itself (a re-run is an idempotent upsert).
    public static func hours(target: Int64, lastRolledUp: Int64?) -> [Int64] {
        let h = HourGrid.hourMilliseconds
        let earliest = target - (maxHours - 1) * h
        let from = max(earliest, lastRolledUp.map { $0 + h } ?? earliest)
        return from <= target ? Array(stride(from: from, through: target, by: Int(h))) : [target]
    }

    /// The dates (`YYYY-MM-DD`) to roll up for a run targeting `target`, oldest first, within the 7-day window.
    public static func dates(target: String, lastRolledUp: String?) -> [String] {
        let d: Int64 = 86_400_000
        let t = Timestamp.parseDate(target)!
        let earliest = t - (maxDays - 1) * d
        let from = max(earliest, lastRolledUp.flatMap(Timestamp.parseDate).map { $0 + d } ?? earliest)
        return from <= t ? stride(from: from, through: t, by: Int(d)).map { Timestamp.date(epochMilliseconds: $0) } : [target]
    }

    /// The hour the scheduler targets at `now`: the previous hour once its :05 has passed.
    public static func dueHour(nowMilliseconds now: Int64) -> Int64 {
        let h = HourGrid.hourMilliseconds
        let current = now - HourGrid.floorMod(now, h)
        return now - current >= 5 * 60_000 ? current - h : current - 2 * h
    }

    /// The date the scheduler targets at `now`: yesterday once 01:00 has passed.
    public static func dueDate(nowMilliseconds now: Int64) -> String {
        let d: Int64 = 86_400_000
        let midnight = now - HourGrid.floorMod(now, d)
        return Timestamp.date(epochMilliseconds: now - midnight >= 3_600_000 ? midnight - d : midnight - 2 * d)
    }
}
