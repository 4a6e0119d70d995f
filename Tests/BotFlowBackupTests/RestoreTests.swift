@testable import BotFlowBackup
import BotFlowCore
import BotFlowTestSupport
import Foundation
import GRDB
import Testing

/// behaviour.md §13.7: restore swaps in the backup, keeps an encrypted safety snapshot, and rolls back on failure.
@Suite struct RestoreTests {
    @Test func restoreReturnsTheDataAndLeavesAnEncryptedSafetySnapshot() async throws {
        let h = try BackupHarness()
        try await SampleRows.insertOrganization(h.database, name: "Cape Shuttle Co", conversations: 4, messages: 5)
        let backup = try await h.service.create(kind: .manual)
        let backedUp = try await SampleRows.counts(h.database)

        // Later changes: a new organization and fewer messages.
        try await SampleRows.insertOrganization(h.database, name: "After The Backup")
        try await h.database.write { db in try db.execute(sql: "DELETE FROM messages WHERE rowid % 2 = 0") }
        let beforeRestore = try await SampleRows.counts(h.database)
        #expect(beforeRestore != backedUp)

        let result = try await h.service.restore(backup.name.file)
        #expect(result.name == backup.name.file)
        #expect(result.rowCounts == backedUp)
        #expect(try await SampleRows.counts(h.database) == backedUp)
        #expect(try await h.organizationNames() == ["Cape Shuttle Co"])

        // The safety snapshot: encrypted, verifiable, and holding what was live before the restore.
        #expect(result.preRestoreBackup.hasPrefix("pre_restore_backup_"))
        let safety = try #require(h.service.find(name: result.preRestoreBackup))
        #expect(safety.manifest?.kind == "pre_restore")
        #expect(Array(readBytes(safety.path).prefix(8)) == Array("Salted__".utf8))
        let check = try await h.service.verify(result.preRestoreBackup)
        #expect(check.ok, "\(check.errors)")
        #expect(check.rowCounts == beforeRestore)

        #expect(!FileManager.default.fileExists(atPath: h.settings.databasePath + ".pre-restore"))
        #expect(h.entries(h.dataDirectory + "/tmp").isEmpty)
        // The reopened database is the live one: writes work and survive a reopen.
        try await SampleRows.insertOrganization(h.database, name: "Written After Restore")
        #expect(try await h.organizationNames() == ["Cape Shuttle Co", "Written After Restore"])
        let integrity = try await h.database.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        #expect(integrity == ["ok"])
    }

    @Test func aFailureAfterTheSwapRollsBackToTheLiveDatabase() async throws {
        let h = try BackupHarness()
        try await SampleRows.insertOrganization(h.database, name: "Cape Shuttle Co")
        let backup = try await h.service.create(kind: .manual)
        try await SampleRows.insertOrganization(h.database, name: "After The Backup")
        let liveNames = try await h.organizationNames()
        let liveCounts = try await SampleRows.counts(h.database)

        struct Injected: Error {}
        let swapped = LockedValue(false)
        var hooks = RestoreHooks()
        hooks.faultAfterSwap = {
            // At this point the backup's file is in place of the live one.
            swapped.withLock { $0 = FileManager.default.fileExists(atPath: h.settings.databasePath + ".pre-restore") }
            throw Injected()
        }
        let gate = LockedValue<[String]>([])
        hooks.closeGate = { gate.withLock { $0.append("close") } }
        hooks.openGate = { gate.withLock { $0.append("open") } }
        hooks.stopWorkers = { gate.withLock { $0.append("stop") } }
        hooks.startWorkers = { gate.withLock { $0.append("start") } }
        do {
            _ = try await h.service.restore(backup.name.file, hooks: hooks)
            Issue.record("the injected failure did not fail the restore")
        } catch {
            guard case .failed(let message) = error else { Issue.record("unexpected \(error)"); return }
            #expect(message.contains("rolled back"), "\(message)")
        }
        #expect(swapped.withLock { $0 })
        #expect(gate.withLock { $0 } == ["close", "stop", "start", "open"])
        #expect(try await h.organizationNames() == liveNames)
        #expect(try await SampleRows.counts(h.database) == liveCounts)
        #expect(!FileManager.default.fileExists(atPath: h.settings.databasePath + ".pre-restore"))
        try await SampleRows.insertOrganization(h.database, name: "Writable After Rollback")
        #expect(try await h.organizationNames().count == liveNames.count + 1)
    }

    @Test func aLeftoverFromAnInterruptedRestoreIsNeverOverwritten() async throws {
        let h = try BackupHarness()
        try await SampleRows.insertOrganization(h.database)
        let backup = try await h.service.create(kind: .manual)
        try writeBytes(Array("the only good copy".utf8), h.settings.databasePath + ".pre-restore")
        do {
            _ = try await h.service.restore(backup.name.file)
            Issue.record("restore ran over a leftover .pre-restore file")
        } catch {
            #expect("\(error)".contains("interrupted restore"))
        }
        #expect(readBytes(h.settings.databasePath + ".pre-restore") == Array("the only good copy".utf8))
    }

    @Test func oneOperationAtATime() async throws {
        let h = try BackupHarness()
        try await SampleRows.insertOrganization(h.database)
        let backup = try await h.service.create(kind: .manual)

        let held = try #require(h.service.lock.tryAcquire(.backup))
        await #expect(throws: BackupOperationError.self) { try await h.service.create(kind: .manual) }
        do { _ = try await h.service.restore(backup.name.file); Issue.record("restore ran while a backup held the lock") } catch {
            guard case .busy = error else { Issue.record("expected busy, got \(error)"); return }
        }
        // Another process on the same data directory (a CLI command) is excluded by the file lock too.
        let other = BackupService(config: h.service.config, database: h.database, clock: h.clock, logger: h.service.logger)
        do { _ = try await other.create(kind: .manual); Issue.record("a second process created a backup") } catch {
            guard case .busy = error else { Issue.record("expected busy, got \(error)"); return }
        }
        // A scheduled run waits instead of failing, and runs once the lock is free.
        let waiting = Task { try await h.service.create(kind: .scheduled, wait: true) }
        try await Task.sleep(for: .milliseconds(400))
        held.release()
        let record = try await waiting.value
        #expect(record.manifest?.kind == "scheduled")
        #expect(h.service.lock.currentOperation == nil)
    }
}
