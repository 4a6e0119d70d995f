import BotFlowCore
import BotFlowJobs
import BotFlowStorage
import BotFlowTestSupport
import Foundation
import GRDB
import Logging
import Synchronization
import Testing

/// behaviour.md §6.4 (job queue): enqueue/dedupe (I-50), claim order, serial keys, lock-token guarded completion,
/// failure/backoff/dead letters, startup recovery, the stale-lock sweeper, retention; and the worker pool end to end.
/// Every test runs against the real database of a fresh appliance with a hand-moved clock.
@Suite struct JobQueueTests {
    // MARK: Enqueue and dedupe

    @Test func enqueueDedupesOnlyAgainstUnfinishedJobs() async throws {
        let q = try await QueueFixture()
        #expect(try await q.enqueue("reply:m1", serial: "reply:c1") == true)
        // Same key while queued: nothing happens.
        #expect(try await q.enqueue("reply:m1", serial: "reply:c1") == false)
        #expect(try await q.count(dedupe: "reply:m1") == 1)
        let first = try #require(try await q.claim().first)
        #expect(try await q.state(first.id) == "running")
        // …while running.
        #expect(try await q.enqueue("reply:m1", serial: "reply:c1") == false)
        try await q.complete(first)
        #expect(try await q.state(first.id) == "succeeded")
        // A finished job does not block a new one with the same key.
        #expect(try await q.enqueue("reply:m1", serial: "reply:c1") == true)
        #expect(try await q.count(dedupe: "reply:m1") == 2)

        // …while retrying it blocks again; once dead it does not.
        let second = try #require(try await q.claim().first)
        #expect(second.id != first.id)
        #expect(try await q.fail(second, retryable: true, backoff: 5) == .retrying(runAt: q.at(seconds: 5)))
        #expect(try await q.enqueue("reply:m1", serial: "reply:c1") == false)
        q.clock.advance(seconds: 5)
        let again = try #require(try await q.claim().first)
        #expect(again.id == second.id)
        #expect(try await q.fail(again, retryable: false, backoff: 5) == .dead)
        #expect(try await q.enqueue("reply:m1", serial: "reply:c1") == true)
        #expect(try await q.count(dedupe: "reply:m1") == 3)

        // Jobs without a dedupe key are never deduplicated.
        #expect(try await q.enqueue(nil) == true)
        #expect(try await q.enqueue(nil) == true)
        #expect(try await q.count(sql: "SELECT count(*) FROM jobs WHERE dedupe_key IS NULL") == 2)
    }

    @Test func enqueueStoresTheSpecAsAQueuedJob() async throws {
        let q = try await QueueFixture()
        try await q.app.database.write { db in
            try JobQueue.enqueue(db, JobSpec(type: .knowledge_process, payload: ["article_id": "a1"], serialKey: "knowledge:a1",
                                             dedupeKey: "knowledge:a1:abc", organizationId: "org-1"), now: q.clock.now())
        }
        let row = try #require(try await q.row(dedupe: "knowledge:a1:abc"))
        #expect(row["type"] as String == "knowledge_process")
        #expect(row["state"] as String == "queued")
        #expect(row["serial_key"] as String? == "knowledge:a1")
        #expect(row["organization_id"] as String? == "org-1")
        #expect(row["attempts"] as Int == 0)
        #expect(row["max_attempts"] as Int == 3)  // knowledge_process default (§6.4 table)
        #expect(row["run_at"] as String == q.clock.now())
        #expect(row["created_at"] as String == q.clock.now())
        #expect(row["locked_at"] as String? == nil)
        #expect(row["lock_token"] as String? == nil)
        #expect(try JSONParser.parse(row["payload"] as String) == ["article_id": "a1"])
        let id: String = row["id"]
        #expect(Identifiers.isUUID(id))

        // Defaults per type (§6.4 table).
        let expected: [JobType: Int] = [.reply: 5, .deliver: 5, .workflow_resume: 5, .knowledge_process: 3, .reembed: 3, .ivf_train: 2,
                                        .rollup_hourly: 3, .rollup_daily: 3, .backup: 2, .backup_prune: 2]
        for type in JobType.allCases { #expect(type.defaultMaxAttempts == expected[type], "\(type)") }
    }

    // MARK: Claim

    @Test func claimTakesTheOldestDueJobFirstAndLeavesFutureJobs() async throws {
        let q = try await QueueFixture()
        try await q.enqueue("a")                                         // run_at t0, created t0
        q.clock.advance(seconds: 1)
        try await q.enqueue("b")                                         // run_at t0+1
        try await q.enqueue("c", runAt: Timestamp.format(epochMilliseconds: q.clock.nowMilliseconds() - 5_000))  // due before a
        try await q.enqueue("future", runAt: q.at(seconds: 60))
        try await q.enqueue("tie1")                                      // same instant as b: insertion order
        try await q.enqueue("tie2")

        var order: [String] = []
        while let job = try await q.claim(limit: 1).first {
            order.append(try await q.dedupe(job.id))
        }
        #expect(order == ["c", "a", "b", "tie1", "tie2"])
        #expect(try await q.state(dedupe: "future") == "queued")

        // Due exactly at run_at.
        q.clock.advance(seconds: 59)
        #expect(try await q.claim().isEmpty)
        q.clock.advance(seconds: 1)
        let future = try #require(try await q.claim().first)
        #expect(try await q.dedupe(future.id) == "future")
    }

    @Test func claimMarksTheJobRunningWithANewLockToken() async throws {
        let q = try await QueueFixture()
        try await q.enqueue("x", serial: "s", maxAttempts: 4)
        let job = try #require(try await q.claim().first)
        #expect(job.attempts == 1)
        #expect(job.maxAttempts == 4)
        #expect(job.serialKey == "s")
        #expect(job.type == .reembed)
        #expect(job.payload == ["name": "x"])
        let row = try #require(try await q.row(id: job.id))
        #expect(row["state"] as String == "running")
        #expect(row["attempts"] as Int == 1)
        #expect(row["locked_at"] as String? == q.clock.now())
        #expect(row["lock_token"] as String? == job.lockToken)
        #expect(Identifiers.isUUID(job.lockToken))
        // Nothing else to claim, and a running job is never claimed twice.
        #expect(try await q.claim().isEmpty)

        // The limit bounds one claim; different serial keys are claimed together.
        for n in 0..<5 { try await q.enqueue("n\(n)", serial: "k\(n)") }
        let batch = try await q.claim(limit: 3)
        #expect(batch.count == 3)
        #expect(Set(batch.map(\.lockToken)).count == 3)
        #expect(try await q.claim(limit: 10).count == 2)
    }

    // MARK: Serial keys

    @Test func onlyTheOldestJobOfASerialKeyIsClaimableUntilItFinishes() async throws {
        let q = try await QueueFixture()
        try await q.enqueue("s1", serial: "reply:c1")
        try await q.enqueue("s2", serial: "reply:c1")   // same instant: insertion order decides
        q.clock.advance(milliseconds: 1)
        try await q.enqueue("s3", serial: "reply:c1")
        try await q.enqueue("other", serial: "reply:c2")

        let first = try await q.claim(limit: 10)
        #expect(Set(try await first.asyncMap { try await q.dedupe($0.id) }) == ["s1", "other"])
        // s1 is running: its successors wait.
        #expect(try await q.claim(limit: 10).isEmpty)
        let s1 = try #require(first.first { $0.serialKey == "reply:c1" })
        try await q.complete(s1)
        let next = try await q.claim(limit: 10)
        #expect(try await next.asyncMap { try await q.dedupe($0.id) } == ["s2"])
        #expect(try await q.claim(limit: 10).isEmpty)
        try await q.complete(next[0])
        let last = try await q.claim(limit: 10)
        #expect(try await last.asyncMap { try await q.dedupe($0.id) } == ["s3"])
    }

    @Test func aQueuedOlderJobBlocksEvenBeforeItIsClaimed() async throws {
        let q = try await QueueFixture()
        try await q.enqueue("old", serial: "k")
        try await q.enqueue("new", serial: "k")
        // One claim call never hands out two jobs of one key.
        let claimed = try await q.claim(limit: 10)
        #expect(try await claimed.asyncMap { try await q.dedupe($0.id) } == ["old"])
    }

    @Test func aFutureDatedQueuedJobDoesNotBlockANewerDueJob() async throws {
        let q = try await QueueFixture()
        // A waiting question's timeout, five minutes ahead.
        try await q.enqueue("timeout", serial: "reply:c1", runAt: q.at(seconds: 300))
        q.clock.advance(seconds: 1)
        try await q.enqueue("reply", serial: "reply:c1")
        let claimed = try await q.claim(limit: 10)
        #expect(try await claimed.asyncMap { try await q.dedupe($0.id) } == ["reply"])

        // Once due, the older job waits for the running one (a running job always blocks its key)…
        q.clock.advance(seconds: 300)
        #expect(try await q.claim(limit: 10).isEmpty)
        try await q.complete(claimed[0])
        // …and runs after it.
        let later = try await q.claim(limit: 10)
        #expect(try await later.asyncMap { try await q.dedupe($0.id) } == ["timeout"])
    }

    @Test func aRetryingJobBlocksNewerJobsOfItsKeyUntilItFinishes() async throws {
        let q = try await QueueFixture()
        try await q.enqueue("first", serial: "deliver:c1")
        let first = try #require(try await q.claim().first)
        q.clock.advance(seconds: 1)
        try await q.enqueue("second", serial: "deliver:c1")
        #expect(try await q.fail(first, retryable: true, backoff: 10) == .retrying(runAt: q.at(seconds: 10)))
        // `first` waits for its backoff; `second` must not overtake it.
        #expect(try await q.claim(limit: 10).isEmpty)
        q.clock.advance(seconds: 9)
        #expect(try await q.claim(limit: 10).isEmpty)
        q.clock.advance(seconds: 1)
        let retried = try await q.claim(limit: 10)
        #expect(retried.map(\.id) == [first.id])
        #expect(retried[0].attempts == 2)
        try await q.complete(retried[0])
        let second = try await q.claim(limit: 10)
        #expect(try await second.asyncMap { try await q.dedupe($0.id) } == ["second"])
    }

    // MARK: Completion guarded by the lock token

    @Test func completeWithALostLockThrowsAndRollsBackTheCallersWrites() async throws {
        let q = try await QueueFixture()
        try await q.enqueue("job")
        let stale = try #require(try await q.claim().first)
        // The sweeper fails the job (lock too old) and another worker claims it with a new token.
        q.clock.advance(seconds: 301)
        #expect(try await q.sweep(timeout: 300) == [stale.id])
        q.clock.advance(seconds: 60)
        let current = try #require(try await q.claim().first)
        #expect(current.id == stale.id)
        #expect(current.lockToken != stale.lockToken)
        #expect(current.attempts == 2)

        // The first worker's finish: its data write and the succeeded mark roll back together.
        let now = q.clock.now()
        await #expect(throws: JobLockLost.self) {
            try await q.app.database.write { db in
                try JobQueue.enqueue(db, JobSpec(type: .rollup_daily, payload: [:], dedupeKey: "written-by-stale-worker"), now: now)
                try JobQueue.complete(db, stale, now: now)
            }
        }
        #expect(try await q.count(dedupe: "written-by-stale-worker") == 0)
        #expect(try await q.state(current.id) == "running")
        // Its failure report is ignored too.
        #expect(try await q.fail(stale, retryable: true, backoff: 5) == .lockLost)
        #expect(try await q.state(current.id) == "running")

        // The current holder commits normally.
        try await q.app.database.write { db in
            try JobQueue.enqueue(db, JobSpec(type: .rollup_daily, payload: [:], dedupeKey: "written-by-current-worker"), now: now)
            try JobQueue.complete(db, current, now: now)
        }
        #expect(try await q.count(dedupe: "written-by-current-worker") == 1)
        let row = try #require(try await q.row(id: current.id))
        #expect(row["state"] as String == "succeeded")
        #expect(row["finished_at"] as String? == now)
        #expect(row["lock_token"] as String? == nil)
        #expect(row["locked_at"] as String? == nil)
        #expect(row["last_error"] as String? == nil)
        // Completing twice is also a lost lock.
        await #expect(throws: JobLockLost.self) {
            try await q.app.database.write { db in try JobQueue.complete(db, current, now: now) }
        }
    }

    // MARK: Failure, backoff, dead letters

    @Test func failuresRetryWithBackoffUntilMaxAttemptsThenDie() async throws {
        let q = try await QueueFixture()
        try await q.enqueue("flaky", maxAttempts: 3)
        for attempt in 1...2 {
            let job = try #require(try await q.claim().first)
            #expect(job.attempts == attempt)
            let backoff = JobQueue.backoff(attempt: attempt, baseSeconds: 5, jitter: 1.0)
            #expect(try await q.fail(job, retryable: true, backoff: backoff, error: "boom \(attempt)")
                    == .retrying(runAt: q.at(seconds: Int64(backoff))))
            let row = try #require(try await q.row(id: job.id))
            #expect(row["state"] as String == "retrying")
            #expect(row["attempts"] as Int == attempt)
            #expect(row["last_error"] as String? == "boom \(attempt)")
            #expect(row["run_at"] as String == q.at(seconds: Int64(backoff)))
            #expect(row["lock_token"] as String? == nil)
            #expect(row["locked_at"] as String? == nil)
            #expect(row["finished_at"] as String? == nil)
            // Not before its run_at.
            q.clock.advance(milliseconds: Int64(backoff * 1000) - 1)
            #expect(try await q.claim().isEmpty)
            q.clock.advance(milliseconds: 1)
        }
        let last = try #require(try await q.claim().first)
        #expect(last.attempts == 3)
        #expect(try await q.fail(last, retryable: true, backoff: 20, error: "boom 3") == .dead)
        let row = try #require(try await q.row(id: last.id))
        #expect(row["state"] as String == "dead")
        #expect(row["attempts"] as Int == 3)
        #expect(row["last_error"] as String? == "boom 3")
        #expect(row["finished_at"] as String? == q.clock.now())
        #expect(row["lock_token"] as String? == nil)
        q.clock.advance(seconds: 3600)
        #expect(try await q.claim().isEmpty)
    }

    @Test func nonRetryableFailureIsDeadAtOnce() async throws {
        let q = try await QueueFixture()
        try await q.enqueue("bad", maxAttempts: 5)
        let job = try #require(try await q.claim().first)
        #expect(try await q.fail(job, retryable: false, backoff: 5, error: "Account not connected") == .dead)
        let row = try #require(try await q.row(id: job.id))
        #expect(row["state"] as String == "dead")
        #expect(row["attempts"] as Int == 1)
        #expect(row["last_error"] as String? == "Account not connected")
        #expect(row["finished_at"] as String? == q.clock.now())
    }

    @Test func backoffDoublesFromTheBaseWithJitterAndIsCappedAt600() {
        // Without jitter: 5, 10, 20, 40 … capped at 600 (before jitter).
        let plain = (1...10).map { JobQueue.backoff(attempt: $0, baseSeconds: 5, jitter: 1.0) }
        #expect(plain == [5, 10, 20, 40, 80, 160, 320, 600, 600, 600])
        #expect(JobQueue.backoff(attempt: 1_000, baseSeconds: 5, jitter: 1.0) == 600)
        #expect(JobQueue.backoff(attempt: 1, baseSeconds: 1_000, jitter: 1.0) == 600)
        #expect(JobQueue.backoff(attempt: 3, baseSeconds: 0, jitter: 1.0) == 0)
        // Jitter bounds: × 0.8 … × 1.2.
        #expect(JobQueue.backoff(attempt: 1, baseSeconds: 5, jitter: 0.8) == 4)
        #expect(JobQueue.backoff(attempt: 4, baseSeconds: 5, jitter: 1.2) == 48)
        #expect(JobQueue.backoff(attempt: 20, baseSeconds: 5, jitter: 1.2) == 720)
        // The default jitter is uniform in [0.8, 1.2] and actually varies.
        for (attempt, base) in [(1, 5.0), (2, 10.0), (3, 20.0), (4, 40.0), (12, 600.0)] {
            let samples = (0..<300).map { _ in JobQueue.backoff(attempt: attempt, baseSeconds: 5) }
            #expect(samples.allSatisfy { $0 >= base * 0.8 && $0 <= base * 1.2 }, "attempt \(attempt)")
            #expect(Set(samples).count > 10, "attempt \(attempt): jitter should vary")
            #expect(samples.contains { $0 < base } && samples.contains { $0 > base }, "attempt \(attempt)")
        }
    }

    // MARK: Recovery, sweeper, retention

    @Test func recoverInterruptedMakesRunningJobsDueNowOrDead() async throws {
        let q = try await QueueFixture()
        try await q.enqueue("interrupted", serial: "a", maxAttempts: 5)
        try await q.enqueue("last-chance", serial: "b", maxAttempts: 1)
        try await q.enqueue("waiting", serial: "c", runAt: q.at(seconds: 600))
        let claimed = try await q.claim(limit: 10)
        #expect(claimed.count == 2)
        try await q.enqueue("queued-later", serial: "d")
        q.clock.advance(seconds: 42)

        let now = q.clock.now()
        let (count, died) = try await q.app.database.write { db -> (Int, [String]) in
            var died: [String] = []
            let count = try JobQueue.recoverInterrupted(db, now: now) { job, error in
                #expect(error == "interrupted")
                #expect(job.attempts == 1)
                died.append(job.id)
            }
            return (count, died)
        }
        #expect(count == 2)
        #expect(try await died.asyncMap { try await q.dedupe($0) } == ["last-chance"])
        let interrupted = try #require(try await q.row(dedupe: "interrupted"))
        #expect(interrupted["state"] as String == "retrying")
        #expect(interrupted["run_at"] as String == now)
        #expect(interrupted["attempts"] as Int == 1)   // the interrupted attempt counts
        #expect(interrupted["lock_token"] as String? == nil)
        #expect(interrupted["locked_at"] as String? == nil)
        #expect(interrupted["finished_at"] as String? == nil)
        #expect(interrupted["last_error"] as String? != nil)
        let dead = try #require(try await q.row(dedupe: "last-chance"))
        #expect(dead["state"] as String == "dead")
        #expect(dead["finished_at"] as String? == now)
        #expect(dead["lock_token"] as String? == nil)
        #expect(try await q.state(dedupe: "waiting") == "queued")
        let waiting = try #require(try await q.row(dedupe: "waiting"))
        #expect(waiting["run_at"] as String == q.at(seconds: 600 - 42))
        #expect(try await q.state(dedupe: "queued-later") == "queued")

        // Due now: claimable again (attempt 2).
        let again = try await q.claim(limit: 10)
        let names = try await again.asyncMap { try await q.dedupe($0.id) }
        #expect(Set(names) == ["interrupted", "queued-later"])
        #expect(again.first { $0.serialKey == "a" }?.attempts == 2)
    }

    @Test func sweeperFailsOnlyLocksOlderThanTheTimeout() async throws {
        let q = try await QueueFixture()
        try await q.enqueue("stale", serial: "a", maxAttempts: 5)
        try await q.enqueue("stale-last", serial: "b", maxAttempts: 1)
        #expect(try await q.claim(limit: 10).count == 2)
        q.clock.advance(seconds: 200)
        try await q.enqueue("fresh", serial: "c")
        #expect(try await q.claim(limit: 10).count == 1)

        q.clock.advance(seconds: 100)   // exactly the timeout: not older yet
        #expect(try await q.sweep(timeout: 300).isEmpty)
        q.clock.advance(milliseconds: 1)
        let ms = q.clock.nowMilliseconds()
        let (swept, died) = try await q.app.database.write { db -> ([String], [String]) in
            var died: [String] = []
            let swept = try JobQueue.sweepStale(db, lockTimeoutSeconds: 300, backoffBaseSeconds: 5, nowMilliseconds: ms) { job, error in
                #expect(error == "lock timeout")
                died.append(job.id)
            }
            return (swept, died)
        }
        #expect(Set(try await swept.asyncMap { try await q.dedupe($0) }) == ["stale", "stale-last"])
        #expect(try await died.asyncMap { try await q.dedupe($0) } == ["stale-last"], "only jobs without attempts left die")

        let stale = try #require(try await q.row(dedupe: "stale"))
        #expect(stale["state"] as String == "retrying")
        #expect(stale["attempts"] as Int == 1)   // counted once, at claim time
        #expect(stale["last_error"] as String? == "lock timeout")
        #expect(stale["lock_token"] as String? == nil)
        // Backoff of attempt 1 with base 5: 4–6 s from now.
        let runAt = try #require(Timestamp.parse(stale["run_at"] as String))
        let nowMs = q.clock.nowMilliseconds()
        #expect(runAt >= nowMs + 4_000 && runAt <= nowMs + 6_000)
        let last = try #require(try await q.row(dedupe: "stale-last"))
        #expect(last["state"] as String == "dead")
        #expect(last["finished_at"] as String? == q.clock.now())
        #expect(try await q.state(dedupe: "fresh") == "running")
    }

    @Test func cleanupDeletesSucceededAfter24HoursAndDeadAfter7Days() async throws {
        let q = try await QueueFixture()
        let hour: Int64 = 3600
        // t0: one succeeded, one dead; plus unfinished jobs that must never be deleted.
        try await q.finishJob("succeeded-t0", succeed: true)
        try await q.finishJob("dead-t0", succeed: false)
        try await q.enqueue("queued-forever", serial: "q", runAt: q.at(seconds: 400 * 24 * hour))
        try await q.enqueue("running", serial: "r")
        let running = try #require(try await q.claim(limit: 10).first)
        #expect(try await q.dedupe(running.id) == "running")
        try await q.enqueue("retrying", serial: "t")
        let retrying = try #require(try await q.claim(limit: 10).first)
        _ = try await q.fail(retrying, retryable: true, backoff: Double(400 * 24 * hour))

        q.clock.advance(seconds: 23 * hour)
        #expect(try await q.cleanup() == 0)
        try await q.finishJob("succeeded-t23h", succeed: true)
        try await q.finishJob("dead-t23h", succeed: false)

        q.clock.advance(seconds: 1 * hour)   // t0 + 24 h exactly: not older than 24 h yet
        #expect(try await q.cleanup() == 0)
        q.clock.advance(milliseconds: 1)
        #expect(try await q.cleanup() == 1)
        #expect(try await q.count(dedupe: "succeeded-t0") == 0)
        #expect(try await q.count(dedupe: "succeeded-t23h") == 1)
        #expect(try await q.count(dedupe: "dead-t0") == 1)

        q.clock.advance(seconds: 24 * hour)   // t0 + 48 h
        #expect(try await q.cleanup() == 1)
        #expect(try await q.count(dedupe: "succeeded-t23h") == 0)

        q.clock.advance(seconds: 5 * 24 * hour - 1)   // t0 + 7 d − 1 s
        #expect(try await q.cleanup() == 0)
        q.clock.advance(seconds: 2)
        #expect(try await q.cleanup() == 1)
        #expect(try await q.count(dedupe: "dead-t0") == 0)
        #expect(try await q.count(dedupe: "dead-t23h") == 1)
        q.clock.advance(seconds: 23 * hour)
        #expect(try await q.cleanup() == 1)
        #expect(try await q.count(dedupe: "dead-t23h") == 0)

        q.clock.advance(seconds: 300 * 24 * hour)
        #expect(try await q.cleanup() == 0)
        #expect(try await q.state(dedupe: "queued-forever") == "queued")
        #expect(try await q.state(dedupe: "running") == "running")
        #expect(try await q.state(dedupe: "retrying") == "retrying")
    }
}

// MARK: - The worker pool

@Suite struct JobRunnerTests {
    @Test func everyJobRunsOnceInSerialOrderAndFailuresEndDead() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        let recorder = RunRecorder()
        var options = JobRunner.Options()
        options.concurrency = 4
        options.pollInterval = .milliseconds(20)
        options.backoffBaseSeconds = 0   // retries are due at once
        var logger = Logger(label: "botflow.test.jobs")
        logger.logLevel = .critical
        let runner = JobRunner(database: app.database, clock: clock, options: options, logger: logger,
                               handlers: [.reembed: RecordingHandler(recorder: recorder)],
                               onDead: { job, _ in recorder.reportedDead(job.id) })

        // 4 keys × 6 jobs, 6 jobs without a key, and one job that always fails.
        let now = clock.now()
        try await app.database.write { db in
            for n in 0..<6 {
                for key in 0..<4 {
                    try JobQueue.enqueue(db, JobSpec(type: .reembed, payload: ["key": .string("k\(key)"), "n": .int(n)],
                                                     serialKey: "k\(key)", dedupeKey: "k\(key)-\(n)"), now: now)
                }
                try JobQueue.enqueue(db, JobSpec(type: .reembed, payload: ["n": .int(n)], dedupeKey: "free-\(n)"), now: now)
            }
            try JobQueue.enqueue(db, JobSpec(type: .reembed, payload: ["fail": true], serialKey: "k0", dedupeKey: "failing", maxAttempts: 3), now: now)
        }
        let task = Task { try await runner.run() }
        defer { task.cancel() }

        // More work arrives while the runner is running (woken on enqueue).
        try await Task.sleep(for: .milliseconds(30))
        try await app.database.write { db in
            for n in 6..<9 {
                try JobQueue.enqueue(db, JobSpec(type: .reembed, payload: ["key": "k1", "n": .int(n)], serialKey: "k1", dedupeKey: "k1-\(n)"),
                                     now: now)
            }
        }
        runner.wake()

        // The deadline is generous: under a full parallel test run the cooperative pool is busy (normally < 1 s).
        do {
            try await waitUntil("all jobs finished", timeout: .seconds(90)) {
                try await app.database.read { db in
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs WHERE state IN ('queued','running','retrying')")! == 0
                }
            }
        } catch {
            let states = try await app.database.read { db in
                try Row.fetchAll(db, sql: "SELECT state || ' ' || count(*) AS s FROM jobs GROUP BY state").map { $0["s"] as String }
            }
            Issue.record("job states at the deadline: \(states); runs so far: \(recorder.snapshot().runs.values.reduce(0, +))")
            throw error
        }
        task.cancel()
        _ = await task.result

        let rows = try await app.database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM jobs ORDER BY rowid").map(RowSnapshot.init) }
        #expect(rows.count == 34)
        let snapshot = recorder.snapshot()
        #expect(snapshot.violations.isEmpty, "same-key jobs overlapped: \(snapshot.violations)")
        for row in rows {
            let id: String = row["id"]
            let dedupe: String = row["dedupe_key"]
            if dedupe == "failing" {
                #expect(row["state"] as String == "dead")
                #expect(row["attempts"] as Int == 3)
                #expect(row["last_error"] as String? == "always fails")
                #expect(snapshot.runs[id] == 3)
                #expect(snapshot.died == [id])
                #expect(snapshot.reportedDead == [id])
            } else {
                #expect(row["state"] as String == "succeeded", "\(dedupe)")
                #expect(row["attempts"] as Int == 1, "\(dedupe)")
                #expect(snapshot.runs[id] == 1, "\(dedupe) ran \(snapshot.runs[id] ?? 0) times")
            }
        }
        // Per key, jobs started in enqueue order (the failing k0 job, enqueued last, ran after every other k0 job).
        for key in 0..<4 {
            let started = snapshot.order["k\(key)"] ?? []
            var expected = (0..<(key == 1 ? 9 : 6)).map { "k\(key)-\($0)" }
            if key == 0 { expected += ["failing", "failing", "failing"] }
            #expect(started == expected, "k\(key)")
        }
        #expect(snapshot.maxParallel > 1, "independent jobs should run concurrently")
        #expect(snapshot.maxParallel <= 4, "never more than `concurrency` jobs at once")
    }
}

extension JobRunnerTests {
    /// Claiming rides on the group commit: a job is claimed by the transaction that enqueues it (no separate claim
    /// transaction, no wait for a wake-up), never beyond `concurrency`, and the rest is claimed as slots free up.
    @Test func jobsAreClaimedByTheTransactionThatEnqueuesThemWithinConcurrency() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        let gate = LockedValue(false)
        var options = JobRunner.Options()
        options.concurrency = 2
        options.pollInterval = .seconds(3600)   // no ticks: only the transaction tail and finished jobs claim
        var logger = Logger(label: "botflow.test.jobs")
        logger.logLevel = .critical
        let runner = JobRunner(database: app.database, clock: clock, options: options, logger: logger,
                               handlers: [.reembed: GatedHandler(gate: gate)])
        let task = Task { try await runner.run() }
        defer { task.cancel() }
        // The loop is up once its first (empty) claim pass has committed.
        try await Task.sleep(for: .milliseconds(100))

        let now = clock.now()
        try await app.database.write { db in
            for n in 0..<3 { try JobQueue.enqueue(db, JobSpec(type: .reembed, payload: ["n": .int(n)], dedupeKey: "gated-\(n)"), now: now) }
        }
        // Read right after the commit: the enqueueing transaction already claimed two of them.
        let states = try await app.database.read { db in
            try String.fetchAll(db, sql: "SELECT state FROM jobs WHERE dedupe_key LIKE 'gated-%' ORDER BY rowid")
        }
        #expect(states == ["running", "running", "queued"])

        gate.withLock { $0 = true }
        try await waitUntil("all gated jobs succeeded", timeout: .seconds(30)) {
            try await app.database.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs WHERE dedupe_key LIKE 'gated-%' AND state = 'succeeded'")! == 3
            }
        }
    }
}

/// Holds every job until the gate opens.
private struct GatedHandler: JobHandler {
    let gate: LockedValue<Bool>

    func run(_ job: ClaimedJob, _ env: JobEnvironment) async throws {
        while !gate.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        try await env.finish(job) { _, _ in }
    }
}

extension JobRunnerTests {
    /// A job that goes `dead` in startup recovery or in the stale-lock sweeper is treated like one that died in a worker:
    /// its handler's `died` runs in the same transaction and `onDead` (the error log) is told.
    @Test func jobsDyingInRecoveryOrTheSweeperAreReportedLikeAnyDeadJob() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        let recorder = RunRecorder()
        var options = JobRunner.Options()
        options.pollInterval = .milliseconds(5)
        options.lockTimeoutSeconds = 300
        var logger = Logger(label: "botflow.test.jobs")
        logger.logLevel = .critical
        let runner = JobRunner(database: app.database, clock: clock, options: options, logger: logger,
                               handlers: [.reembed: RecordingHandler(recorder: recorder)],
                               onDead: { job, _ in recorder.reportedDead(job.id) })
        func claim(_ name: String, maxAttempts: Int) async throws -> String {
            let now = clock.now()
            return try await app.database.write { db in
                try JobQueue.enqueue(db, JobSpec(type: .reembed, payload: ["name": .string(name)], serialKey: name, dedupeKey: name,
                                                 maxAttempts: maxAttempts), now: now)
                return try #require(try JobQueue.claim(db, limit: 10, now: now).first { $0.serialKey == name }).id
            }
        }
        func state(_ id: String) async throws -> String? {
            try await app.database.read { db in try String.fetchOne(db, sql: "SELECT state FROM jobs WHERE id = ?", arguments: [id]) }
        }

        // A crash left one job running at its last attempt and one with attempts to spare.
        let interruptedLast = try await claim("interrupted-last", maxAttempts: 1)
        let interrupted = try await claim("interrupted", maxAttempts: 3)
        try await runner.recover()
        #expect(try await state(interruptedLast) == "dead")
        #expect(try await state(interrupted) == "retrying")
        #expect(recorder.snapshot().died == [interruptedLast])
        #expect(recorder.snapshot().reportedDead == [interruptedLast])

        // Two jobs whose worker vanished (marked running by hand: a claim would also take the recovered job).
        func stuckJob(_ name: String, maxAttempts: Int) async throws -> String {
            let now = clock.now()
            return try await app.database.write { db in
                try JobQueue.enqueue(db, JobSpec(type: .reembed, payload: ["name": .string(name)], serialKey: name, dedupeKey: name,
                                                 maxAttempts: maxAttempts), now: now)
                try db.execute(sql: """
                    UPDATE jobs SET state = 'running', attempts = 1, locked_at = ?, lock_token = 'vanished-worker' WHERE dedupe_key = ?
                    """, arguments: [now, name])
                return try String.fetchOne(db, sql: "SELECT id FROM jobs WHERE dedupe_key = ?", arguments: [name])!
            }
        }
        let stuckLast = try await stuckJob("stuck-last", maxAttempts: 1)
        let stuck = try await stuckJob("stuck", maxAttempts: 3)
        clock.advance(seconds: 301)
        let task = Task { try await runner.run() }
        defer { task.cancel() }
        try await waitUntil("the sweeper ran", timeout: .seconds(90)) {
            let last = try await state(stuckLast), other = try await state(stuck)
            return last == "dead" && other == "retrying"
        }
        task.cancel()
        _ = await task.result
        let snapshot = recorder.snapshot()
        #expect(snapshot.died == [interruptedLast, stuckLast])
        #expect(snapshot.reportedDead == [interruptedLast, stuckLast])
        // The recovered job ran again in a worker (it was due at once) and succeeded.
        #expect(try await state(interrupted) == "succeeded")
        #expect(snapshot.runs[interrupted] == 1)
    }
}

// MARK: - Helpers

/// A queue on a fresh appliance database with a manual clock; jobs are named by their dedupe key.
private struct QueueFixture {
    let clock = ManualClock()
    let app: TestAppliance

    init() async throws { app = try await TestAppliance.make(clock: clock) }

    /// The timestamp `seconds` from now.
    func at(seconds: Int64) -> String { Timestamp.format(epochMilliseconds: clock.nowMilliseconds() + seconds * 1000) }

    @discardableResult
    func enqueue(_ name: String?, serial: String? = nil, runAt: String? = nil, maxAttempts: Int? = nil) async throws -> Bool {
        let now = clock.now()
        let spec = JobSpec(type: .reembed, payload: name.map { ["name": .string($0)] } ?? [:], serialKey: serial, dedupeKey: name,
                           maxAttempts: maxAttempts, runAt: runAt)
        return try await app.database.write { db in try JobQueue.enqueue(db, spec, now: now) }
    }

    func claim(limit: Int = 10) async throws -> [ClaimedJob] {
        let now = clock.now()
        return try await app.database.write { db in try JobQueue.claim(db, limit: limit, now: now) }
    }

    func complete(_ job: ClaimedJob) async throws {
        let now = clock.now()
        try await app.database.write { db in try JobQueue.complete(db, job, now: now) }
    }

    func fail(_ job: ClaimedJob, retryable: Bool, backoff: Double, error: String = "boom") async throws -> JobQueue.FailureResult {
        let ms = clock.nowMilliseconds()
        return try await app.database.write { db in
            try JobQueue.fail(db, job, error: error, retryable: retryable, backoffSeconds: backoff, nowMilliseconds: ms)
        }
    }

    func sweep(timeout: Int) async throws -> [String] {
        let ms = clock.nowMilliseconds()
        return try await app.database.write { db in
            try JobQueue.sweepStale(db, lockTimeoutSeconds: timeout, backoffBaseSeconds: 5, nowMilliseconds: ms)
        }
    }

    func cleanup() async throws -> Int {
        let ms = clock.nowMilliseconds()
        return try await app.database.write { db in try JobQueue.cleanup(db, nowMilliseconds: ms) }
    }

    /// Enqueues, claims and finishes one job now (succeeded or dead).
    func finishJob(_ name: String, succeed: Bool) async throws {
        let now = clock.now()
        let job = try await app.database.write { db -> ClaimedJob in
            try JobQueue.enqueue(db, JobSpec(type: .reembed, payload: [:], serialKey: "finish:\(name)", dedupeKey: name), now: now)
            let claimed = try JobQueue.claim(db, limit: 100, now: now)
            return claimed.first { $0.serialKey == "finish:\(name)" }!
        }
        if succeed { try await complete(job) } else { #expect(try await fail(job, retryable: false, backoff: 0) == .dead) }
    }

    func row(id: String) async throws -> RowSnapshot? {
        try await app.database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]).map(RowSnapshot.init) }
    }

    /// The newest job with this dedupe key.
    func row(dedupe: String) async throws -> RowSnapshot? {
        try await app.database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE dedupe_key = ? ORDER BY rowid DESC LIMIT 1", arguments: [dedupe])
                .map(RowSnapshot.init)
        }
    }

    func state(_ id: String) async throws -> String? { try await row(id: id)?["state"] }
    func state(dedupe: String) async throws -> String? { try await row(dedupe: dedupe)?["state"] }
    func dedupe(_ id: String) async throws -> String { try await row(id: id)?["dedupe_key"] ?? "?" }

    func count(dedupe: String) async throws -> Int {
        try await count(sql: "SELECT count(*) FROM jobs WHERE dedupe_key = '\(dedupe)'")
    }

    func count(sql: String) async throws -> Int {
        try await app.database.read { db in try Int.fetchOne(db, sql: sql)! }
    }
}

/// What the recording handler saw: runs per job, start order per serial key, overlaps of one key, `died` calls.
private final class RunRecorder: Sendable {
    struct State: Sendable {
        var runs: [String: Int] = [:]
        var order: [String: [String]] = [:]
        var runningKeys: Set<String> = []
        var violations: [String] = []
        var died: [String] = []
        var reportedDead: [String] = []
        var parallel = 0
        var maxParallel = 0
    }

    private let state = Mutex(State())

    func start(_ job: ClaimedJob) {
        state.withLock { s in
            s.runs[job.id, default: 0] += 1
            s.parallel += 1
            s.maxParallel = max(s.maxParallel, s.parallel)
            if let key = job.serialKey {
                s.order[key, default: []].append(job.payload["fail"] == true ? "failing" : "\(key)-\(job.payload["n"].integerValue ?? -1)")
                if !s.runningKeys.insert(key).inserted { s.violations.append("\(key) job \(job.id)") }
            }
        }
    }

    func end(_ job: ClaimedJob) {
        state.withLock { s in
            s.parallel -= 1
            if let key = job.serialKey { s.runningKeys.remove(key) }
        }
    }

    func died(_ id: String) { state.withLock { $0.died.append(id) } }
    func reportedDead(_ id: String) { state.withLock { $0.reportedDead.append(id) } }
    func snapshot() -> State { state.withLock { $0 } }
}

private struct RecordingHandler: JobHandler {
    let recorder: RunRecorder

    func run(_ job: ClaimedJob, _ env: JobEnvironment) async throws {
        recorder.start(job)
        try? await Task.sleep(for: .milliseconds(Int.random(in: 1...8)))
        // Recorded before the commit: the next job of the key can only be claimed after it.
        recorder.end(job)
        if job.payload["fail"] == true { throw JobFailure("always fails") }
        try await env.finish(job) { _, _ in }
    }

    func died(_ job: ClaimedJob, error: String, db: Database, now: String) throws { recorder.died(job.id) }
}

private func waitUntil(_ what: String, timeout: Duration, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("timed out waiting for \(what)")
    throw TestSetupError("timed out waiting for \(what)")
}


extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
