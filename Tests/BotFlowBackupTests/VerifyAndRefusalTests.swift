@testable import BotFlowBackup
import BotFlowCore
import BotFlowTestSupport
import Foundation
import Testing

/// behaviour.md §13.6 and §13.7 step 2: a damaged or foreign backup is refused by verify and by restore, with a
/// message that says why, and the live database stays exactly as it was.
@Suite struct VerifyAndRefusalTests {
    enum Damage: String, CaseIterable, Sendable {
        case wrongKey, flippedByte, truncatedMidBlock, truncatedWholeBlock, missingManifest
    }

    @Test(arguments: Damage.allCases)
    func damagedBackupIsRefusedAndLiveDataUntouched(_ damage: Damage) async throws {
        let h = try BackupHarness()
        try await SampleRows.insertOrganization(h.database, conversations: 10, messages: 20)
        let record = try await h.service.create(kind: .manual)
        let name = record.name.file
        // The live database moves on after the backup; a refused restore must leave it like this.
        try await SampleRows.insertOrganization(h.database, name: "After The Backup")
        let liveNames = try await h.organizationNames()
        let liveCounts = try await SampleRows.counts(h.database)

        var verifier = h.service.files
        let file = h.path(name)
        var bytes = readBytes(file)
        switch damage {
        case .wrongKey:
            verifier = try h.files(passphrase: String(repeating: "9", count: 64))
        case .flippedByte:
            bytes[bytes.count / 2] ^= 0x01
            try writeBytes(bytes, file)
        case .truncatedMidBlock:
            try writeBytes(Array(bytes.dropLast(7)), file)
        case .truncatedWholeBlock:
            try writeBytes(Array(bytes.dropLast(32)), file)
        case .missingManifest:
            try FileManager.default.removeItem(atPath: h.manifestPath(name))
        }

        let verification = try await verifier.verify(name)
        #expect(!verification.ok)
        #expect(!verification.errors.isEmpty)
        let text = verification.errors.joined(separator: " | ")
        switch damage {
        case .wrongKey:
            #expect(verification.checksumOK)
            #expect(!verification.decryptOK)
            #expect(text.contains("BACKUP_ENCRYPTION_KEY"), "\(text)")
        case .flippedByte:
            #expect(!verification.checksumOK)
            #expect(text.contains("checksum mismatch"), "\(text)")
        case .truncatedMidBlock:
            #expect(!verification.checksumOK && !verification.decryptOK)
            #expect(text.contains("truncated"), "\(text)")
        case .truncatedWholeBlock:
            #expect(!verification.checksumOK && !verification.decryptOK)
        case .missingManifest:
            #expect(text.contains("manifest not found"), "\(text)")
            #expect(!verification.checksumOK && !verification.decryptOK && !verification.integrityOK)
        }
        #expect(!verification.integrityOK || !verification.decryptOK || !verification.checksumOK)
        #expect(h.entries(h.dataDirectory + "/tmp").isEmpty, "no decrypted copy is left behind")

        // Restore refuses the same backup at its verify step.
        let service = damage == .wrongKey
            ? BackupService(config: verifier.config, database: h.database, clock: h.clock, logger: h.service.logger)
            : h.service
        do {
            _ = try await service.restore(name)
            Issue.record("restore of a damaged backup succeeded")
        } catch {
            guard case .failed(let message) = error else { Issue.record("unexpected \(error)"); return }
            #expect(message.hasPrefix("verify: "), "\(message)")
        }
        #expect(try await h.organizationNames() == liveNames)
        #expect(try await SampleRows.counts(h.database) == liveCounts)
        #expect(!h.entries().contains { $0.hasPrefix("pre_restore_backup_") }, "refused before the safety snapshot")
        #expect(!FileManager.default.fileExists(atPath: h.settings.databasePath + ".pre-restore"))
        // Still the same writable database.
        try await SampleRows.insertOrganization(h.database, name: "Still Writable")
    }

    @Test func verifyReportsEveryFlagForAGoodBackup() async throws {
        let h = try BackupHarness()
        try await SampleRows.insertOrganization(h.database)
        let record = try await h.service.create(kind: .manual)
        let v = try await h.service.verify(record.name.file)
        #expect(v.ok && v.checksumOK && v.decryptOK && v.integrityOK && v.schemaOK && v.countsOK)
        #expect(v.errors.isEmpty)
        #expect(v.rowCounts == record.manifest!.rowCounts)
        // By path works too (a copy somewhere else, as after machine loss).
        let elsewhere = h.dataDirectory + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: h.path(record.name.file), toPath: elsewhere + "/" + record.name.file)
        try FileManager.default.copyItem(atPath: h.manifestPath(record.name.file), toPath: elsewhere + "/" + record.name.manifest)
        #expect(try await h.service.verify(elsewhere + "/" + record.name.file).ok)
    }

    @Test func aManifestThatLiesAboutCountsIsRefused() async throws {
        let h = try BackupHarness()
        try await SampleRows.insertOrganization(h.database)
        let record = try await h.service.create(kind: .manual)
        var manifest = try #require(record.manifest)
        manifest.rowCounts["messages"] = 999
        try writeBytes(JSONWriter.bytes(manifest.json), h.manifestPath(record.name.file))
        let v = try await h.service.verify(record.name.file)
        #expect(v.checksumOK && v.decryptOK && v.integrityOK && v.schemaOK)
        #expect(!v.countsOK && !v.ok)
        #expect(v.errors.joined().contains("messages 12 ≠ 999"))
    }

    @Test func unknownBackupIsNotFound() async throws {
        let h = try BackupHarness()
        await #expect(throws: BackupOperationError.self) { try await h.service.verify("botflow_backup_20200101_000000.db.gz.enc") }
        await #expect(throws: BackupOperationError.self) { try await h.service.restore("nope") }
    }
}
