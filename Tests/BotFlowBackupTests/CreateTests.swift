@testable import BotFlowBackup
import BotFlowCore
import BotFlowStorage
import BotFlowTestSupport
import Foundation
import GRDB
import Testing

/// behaviour.md §13.1–§13.4: create, the file format, the manifest, destinations.
@Suite struct CreateTests {
    @Test func backupTakenUnderConcurrentWritesVerifiesAndMatchesItsManifest() async throws {
        let h = try BackupHarness()
        let org = try await SampleRows.insertOrganization(h.database, bots: 3, conversations: 20, messages: 50)
        let (conversation, account) = try await h.database.read { db in
            (try String.fetchOne(db, sql: "SELECT id FROM conversations LIMIT 1")!,
             try String.fetchOne(db, sql: "SELECT id FROM whatsapp_accounts LIMIT 1")!)
        }
        let before = try await SampleRows.counts(h.database)

        // A writer keeps committing messages for the whole backup.
        let writer = Task {
            var written = 0
            while !Task.isCancelled {
                try await h.database.write { db in
                    try SampleRows.insertMessage(db, conversation: conversation, organization: org, account: account, text: "during backup")
                }
                written += 1
            }
            return written
        }
        try await Task.sleep(for: .milliseconds(50))
        let record = try await h.service.create(kind: .manual)
        try await Task.sleep(for: .milliseconds(50))
        writer.cancel()
        let written = try await writer.value
        let after = try await SampleRows.counts(h.database)

        let manifest = try #require(record.manifest)
        #expect(written > 0)
        #expect(after["messages"]! > manifest.rowCounts["messages"]!, "writes after the snapshot are not in it")
        #expect(manifest.rowCounts["messages"]! >= before["messages"]!)
        for table in ["organizations", "bots", "conversations", "knowledge_base_articles"] {
            #expect(manifest.rowCounts[table] == before[table], "\(table)")
        }
        let verification = try await h.service.verify(record.name.file)
        #expect(verification.ok, "\(verification.errors)")
        #expect(verification.rowCounts == manifest.rowCounts)
        #expect(h.entries(h.dataDirectory + "/tmp").isEmpty, "the temporary snapshot and verify copy are gone")
    }

    @Test func manifestHasEveryFieldOfSection13_3() async throws {
        let clock = ManualClock(epochMilliseconds: 1_768_615_200_412)  // 2026-01-17T02:00:00.412Z
        let h = try BackupHarness(clock: clock)
        try await SampleRows.insertOrganization(h.database)
        let record = try await h.service.create(kind: .scheduled)
        #expect(record.name.file == "botflow_backup_20260117_020000.db.gz.enc")
        let json = try JSONParser.parse(readBytes(h.manifestPath(record.name.file)))
        #expect(Set(json.objectValue!.keys) == ["format_version", "name", "kind", "created_at", "app_version", "schema_version",
                                                 "instance_id", "sha256", "size_bytes", "db_sha256", "db_size_bytes", "cipher", "kdf",
                                                 "kdf_iterations", "compression", "row_counts", "duration_ms"])
        #expect(json["format_version"] == 1)
        #expect(json["name"] == "botflow_backup_20260117_020000.db.gz.enc")
        #expect(json["kind"] == "scheduled")
        #expect(json["created_at"] == "2026-01-17T02:00:00.412Z")
        #expect(json["app_version"] == .string(AppVersion.current))
        #expect(json["schema_version"] == .int(try h.database.schemaVersion()))
        let instance = try await h.database.read { db in try AppMeta.get(db, "instance_id") }
        #expect(json["instance_id"] == .string(instance))
        #expect(json["cipher"] == "aes-256-cbc" && json["kdf"] == "pbkdf2-hmac-sha256" && json["compression"] == "gzip")
        #expect(json["kdf_iterations"] == 10_000)
        #expect(json["row_counts"] == ["organizations": 1, "bots": 2, "conversations": 3, "messages": 12, "knowledge_base_articles": 2])
        let file = h.path(record.name.file)
        #expect(json["sha256"] == .string(try FileIO.sha256(ofFile: file)))
        #expect(json["size_bytes"] == .int(Int(FileIO.size(file)!)))
        #expect(Array(readBytes(file).prefix(8)) == Array("Salted__".utf8))
        #expect((FileIO.size(file)! - 16) % 16 == 0)
        #expect(!h.entries().contains { $0.hasSuffix(".partial") })
        // The file is private to the appliance's user.
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as! NSNumber
        #expect(mode.intValue & 0o077 == 0)
    }

    @Test func twoBackupsInOneSecondGetDifferentNames() async throws {
        let clock = ManualClock(epochMilliseconds: 1_768_615_200_000)
        let h = try BackupHarness(clock: clock)
        let first = try await h.service.create(kind: .manual)
        let second = try await h.service.create(kind: .manual)
        #expect(first.name.file == "botflow_backup_20260117_020000.db.gz.enc")
        #expect(second.name.file == "botflow_backup_20260117_020001.db.gz.enc")
    }

    @Test func copiesGoToEveryDestinationAndAFailingOneDoesNotFailTheBackup() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("botflow-dest-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        // A regular file where a folder should be: creating the destination fails.
        try writeBytes(Array("not a folder".utf8), base + "/blocked")
        let good = base + "/offsite", bad = base + "/blocked/backups"
        let h = try BackupHarness(extraDirectories: [good, bad])
        try await SampleRows.insertOrganization(h.database)

        let record = try await h.service.create(kind: .manual)
        #expect(record.destinations == [h.primary, good])
        let manifest = try #require(record.manifest)
        #expect(try FileIO.sha256(ofFile: good + "/" + record.name.file) == manifest.sha256)
        #expect(readBytes(good + "/" + record.name.manifest) == readBytes(h.manifestPath(record.name.file)))
        #expect(!h.entries(good).contains { $0.hasSuffix(".partial") })
        #expect(h.service.stats.withLock { $0.lastSuccessAt } != nil)
    }

    @Test func aFailedBackupLeavesNothingHalfWritten() async throws {
        let clock = ManualClock(epochMilliseconds: 1_768_615_200_000)
        let h = try BackupHarness(clock: clock)
        try await SampleRows.insertOrganization(h.database)
        // A folder where the manifest's `.partial` goes: step 5 fails after the encrypted file was published.
        let obstacle = h.primary + "/botflow_backup_20260117_020000.manifest.json.partial"
        try FileManager.default.createDirectory(atPath: obstacle, withIntermediateDirectories: true)
        await #expect(throws: BackupOperationError.self) { try await h.service.create(kind: .manual) }
        #expect(h.entries() == ["botflow_backup_20260117_020000.manifest.json.partial"], "the encrypted file went too")
        #expect(h.entries(h.dataDirectory + "/tmp").isEmpty)
        #expect(h.service.stats.withLock { $0.lastFailureAt } != nil)
        #expect(h.service.list().isEmpty)
    }

    @Test func namesFollowSection13_2() {
        #expect(BackupName(kind: .manual, epochSeconds: 1_768_615_200).file == "botflow_backup_20260117_020000.db.gz.enc")
        #expect(BackupName(kind: .pre_restore, epochSeconds: 1_768_615_200).file == "pre_restore_backup_20260117_020000.db.gz.enc")
        #expect(BackupName(file: "botflow_backup_20260117_020000.db.gz.enc")?.epochSeconds == 1_768_615_200)
        #expect(BackupName(file: "botflow_backup_20260117_020000.db.gz.enc")?.manifest == "botflow_backup_20260117_020000.manifest.json")
        #expect(BackupName(manifest: "pre_restore_backup_20260117_020000.manifest.json")?.isPreRestore == true)
        for bad in ["botflow_backup_20260117_020000.db.gz.enc.partial", "botflow_backup_2026011_020000.db.gz.enc",
                    "botflow_backup_20260231_020000.db.gz.enc", "other_backup_20260117_020000.db.gz.enc",
                    "../botflow_backup_20260117_020000.db.gz.enc", "botflow_backup_20260117_0200000.db.gz.enc"] {
            #expect(BackupName(file: bad) == nil, "\(bad)")
        }
    }
}
