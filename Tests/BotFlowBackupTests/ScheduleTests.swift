@testable import BotFlowBackup
import BotFlowCore
import BotFlowJobs
import BotFlowTestSupport
import Foundation
import GRDB
import Logging
import Testing

/// behaviour.md §13.5 and §6.4: the daily schedule, catch-up at startup, and the `backup` / `backup_prune` jobs.
@Suite struct ScheduleTests {
    @Test func nextRunIsTheNextScheduleTimeInUTC() {
        let jan17_0100 = Timestamp.parse("2026-01-17T01:00:00.000Z")!
        #expect(BackupScheduler.nextRun(afterMilliseconds: jan17_0100, schedule: "02:00") == Timestamp.parse("2026-01-17T02:00:00.000Z"))
        let jan17_0200 = Timestamp.parse("2026-01-17T02:00:00.000Z")!
        #expect(BackupScheduler.nextRun(afterMilliseconds: jan17_0200, schedule: "02:00") == Timestamp.parse("2026-01-18T02:00:00.000Z"))
        #expect(BackupScheduler.nextRun(afterMilliseconds: jan17_0200, schedule: "23:45") == Timestamp.parse("2026-01-17T23:45:00.000Z"))
    }

    @Test func catchUpRunsOnlyWhenTheNewestScheduledBackupIsOverADayOld() async throws {
        let clock = ManualClock(epochMilliseconds: Timestamp.parse("2026-01-17T10:00:00.000Z")!)
        let h = try BackupHarness(clock: clock)
        let scheduler = BackupScheduler(service: h.service, database: h.database, clock: clock, logger: h.service.logger) {}

        // None yet: the first one waits for the schedule. A manual backup does not count either way.
        _ = try await h.service.create(kind: .manual)
        #expect(try await scheduler.catchUpIfOverdue() == false)
        #expect(try await backupJobs(h).isEmpty)

        // A scheduled one 1 hour ago: nothing to catch up.
        clock.advance(seconds: -3600)
        _ = try await h.service.create(kind: .scheduled)
        clock.advance(seconds: 3600)
        #expect(try await scheduler.catchUpIfOverdue() == false)

        // 25 hours later it is overdue: one job, due within 5 minutes, deduplicated per day.
        clock.advance(seconds: 24 * 3600)
        #expect(try await scheduler.catchUpIfOverdue() == true)
        #expect(try await scheduler.catchUpIfOverdue() == true)
        let jobs = try await backupJobs(h)
        #expect(jobs.count == 1)
        let job = try #require(jobs.first)
        #expect(job["type"] == "backup")
        #expect(job["dedupe_key"] == "backup:2026-01-18")
        #expect(job["serial_key"] == "backup")
        #expect(job["max_attempts"] == "2")
        #expect(job["payload"] == #"{"kind":"scheduled"}"#)
        let due = Timestamp.parse(job["run_at"]!)! - clock.nowMilliseconds()
        #expect(due > 0 && due <= 300_000)
    }

    @Test func theBackupJobRunsAScheduledBackupThenPrunes() async throws {
        let clock = ManualClock(epochMilliseconds: Timestamp.parse("2026-01-17T02:00:00.000Z")!)
        let h = try BackupHarness(clock: clock)
        try await SampleRows.insertOrganization(h.database)
        // An expired backup the prune job must remove.
        try FileManager.default.createDirectory(atPath: h.primary, withIntermediateDirectories: true)
        let expired = BackupName(kind: .scheduled, epochSeconds: clock.nowSeconds() - 40 * 86_400)
        try writeBytes([1], h.path(expired.file))
        try writeBytes([2], h.primary + "/" + expired.manifest)

        var options = JobRunner.Options()
        options.pollInterval = .milliseconds(20)
        let runner = JobRunner(database: h.database, clock: clock, options: options, logger: h.service.logger,
                               handlers: BackupJobs.handlers(h.service))
        let now = clock.now()
        _ = try await h.database.write { db in try JobQueue.enqueue(db, BackupJobs.backup(date: "2026-01-17"), now: now) }
        let task = Task { try await runner.run() }
        defer { task.cancel() }

        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        var states: [String: String] = [:]
        while ContinuousClock.now < deadline {
            states = try await h.database.read { db in
                Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT type, state FROM jobs").map { ($0["type"] as String, $0["state"] as String) })
            }
            if states == ["backup": "succeeded", "backup_prune": "succeeded"] { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(states == ["backup": "succeeded", "backup_prune": "succeeded"])
        let pruneKey = try await h.database.read { db in
            try String.fetchOne(db, sql: "SELECT dedupe_key FROM jobs WHERE type = 'backup_prune'")
        }
        #expect(pruneKey == "backup_prune:2026-01-17")
        let list = h.service.list()
        #expect(list.map(\.name.file) == ["botflow_backup_20260117_020000.db.gz.enc"])
        #expect(list.first?.manifest?.kind == "scheduled")
    }

    /// The `backup` jobs, each column as text.
    func backupJobs(_ h: BackupHarness) async throws -> [[String: String]] {
        try await h.database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT type, dedupe_key, serial_key, CAST(max_attempts AS TEXT) AS max_attempts, payload, run_at
                FROM jobs WHERE type = 'backup'
                """).map { row in
                Dictionary(uniqueKeysWithValues: row.columnNames.map { ($0, row[$0] as String? ?? "") })
            }
        }
    }
}
