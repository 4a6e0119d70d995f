@testable import BotFlowBackup
import BotFlowCore
import BotFlowTestSupport
import Foundation
import Testing

/// behaviour.md §13.5: retention by name timestamp, in every destination; the newest survives; foreign files stay.
@Suite struct PruneTests {
    static let day: Int64 = 86_400

    @Test func pruneRemovesOnlyOurFilesOlderThanTheRetention() async throws {
        let now: Int64 = 1_768_615_200  // 2026-01-17T02:00:00Z
        let clock = ManualClock(epochMilliseconds: now * 1000)
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("botflow-prune-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let secondary = base + "/offsite"
        let h = try BackupHarness(clock: clock, extraDirectories: [secondary])
        let ages: [Int64] = [45 * Self.day, 31 * Self.day, 30 * Self.day + 1, 30 * Self.day - 60, 1 * Self.day]
        let foreign = ["notes.txt", "botflow_backup_20200101_000000.db.gz.enc.partial", "botflow_backup_latest.db.gz.enc",
                       "botflow_backup_20200101_000000.sqlite"]
        for dir in [h.primary, secondary] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for age in ages {
                let name = BackupName(kind: .scheduled, epochSeconds: now - age)
                try writeBytes([1], dir + "/" + name.file)
                try writeBytes([2], dir + "/" + name.manifest)
            }
            let oldSafety = BackupName(kind: .pre_restore, epochSeconds: now - 40 * Self.day)
            let newSafety = BackupName(kind: .pre_restore, epochSeconds: now - 2 * Self.day)
            for n in [oldSafety, newSafety] { try writeBytes([3], dir + "/" + n.file); try writeBytes([4], dir + "/" + n.manifest) }
            for f in foreign { try writeBytes([5], dir + "/" + f) }
        }

        let dry = h.service.prune(dryRun: true)
        #expect(dry.deleted == [BackupName(kind: .scheduled, epochSeconds: now - 45 * Self.day).file,
                                BackupName(kind: .pre_restore, epochSeconds: now - 40 * Self.day).file,
                                BackupName(kind: .scheduled, epochSeconds: now - 31 * Self.day).file,
                                BackupName(kind: .scheduled, epochSeconds: now - 30 * Self.day - 1).file])
        #expect(h.entries().count == 2 * 7 + foreign.count, "a dry run deletes nothing")

        let result = h.service.prune()
        #expect(result.deleted == dry.deleted)
        #expect(result.kept == 3)
        for dir in [h.primary, secondary] {
            let left = h.entries(dir)
            for f in foreign { #expect(left.contains(f), "\(f) in \(dir)") }
            for age in [30 * Self.day - 60, 1 * Self.day] {
                let name = BackupName(kind: .scheduled, epochSeconds: now - age)
                #expect(left.contains(name.file) && left.contains(name.manifest))
            }
            for deleted in result.deleted {
                #expect(!left.contains(deleted))
                #expect(!left.contains(BackupName(file: deleted)!.manifest))
            }
            #expect(left.count == 3 * 2 + foreign.count)
        }
    }

    @Test func theNewestBackupIsKeptHoweverOld() async throws {
        let now: Int64 = 1_768_615_200
        let h = try BackupHarness(clock: ManualClock(epochMilliseconds: now * 1000))
        try FileManager.default.createDirectory(atPath: h.primary, withIntermediateDirectories: true)
        let old = BackupName(kind: .scheduled, epochSeconds: now - 90 * Self.day)
        let older = BackupName(kind: .scheduled, epochSeconds: now - 120 * Self.day)
        for n in [old, older] { try writeBytes([1], h.primary + "/" + n.file); try writeBytes([2], h.primary + "/" + n.manifest) }
        let result = h.service.prune()
        #expect(result.deleted == [older.file])
        #expect(result.kept == 1)
        #expect(h.entries() == [old.file, old.manifest])
    }
}
