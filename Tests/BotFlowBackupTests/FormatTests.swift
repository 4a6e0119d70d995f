@testable import BotFlowBackup
import BotFlowCore
import BotFlowTestSupport
import Foundation
import GRDB
import Testing

/// behaviour.md §13.1: the file opens with the stock `openssl` and `gunzip` tools, and files those tools make open
/// with ours.
@Suite struct FormatTests {
    @Test func stockOpenSSLAndGunzipGiveBackTheDatabase() async throws {
        let h = try BackupHarness()
        try await SampleRows.insertOrganization(h.database, bots: 2, conversations: 5, messages: 7)
        try await SampleRows.insertOrganization(h.database, name: "Karoo Bakery", bots: 1, conversations: 2, messages: 3)
        let record = try await h.service.create(kind: .manual)
        let manifest = try #require(record.manifest)

        let keyFile = h.dataDirectory + "/backup.key"
        try writeBytes(Array(BackupHarness.passphrase.utf8), keyFile)
        let out = h.dataDirectory + "/recovered.sqlite"
        let run = try shell("openssl enc -d -aes-256-cbc -pbkdf2 -md sha256 -iter \(manifest.kdfIterations) -pass file:\(keyFile) "
                            + "-in \(h.path(record.name.file)) | gunzip > \(out)")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try FileIO.sha256(ofFile: out) == manifest.dbSHA256)
        #expect(Int64(readBytes(out).count) == manifest.dbSizeBytes)

        let queue = try DatabaseQueue(path: out)
        let (integrity, counts) = try await queue.read { db in
            (try String.fetchAll(db, sql: "PRAGMA integrity_check"), try Snapshot.counts(db))
        }
        #expect(integrity == ["ok"])
        #expect(counts == manifest.rowCounts)
        #expect(counts == ["organizations": 2, "bots": 3, "conversations": 7, "messages": 41, "knowledge_base_articles": 3])
        try queue.close()

        // `-pass pass:` works as well, and a wrong passphrase is refused by openssl too.
        #expect(try shell("openssl enc -d -aes-256-cbc -pbkdf2 -md sha256 -iter 10000 -pass pass:\(BackupHarness.passphrase) "
                          + "-in \(h.path(record.name.file)) | gunzip > /dev/null").status == 0)
        #expect(try shell("openssl enc -d -aes-256-cbc -pbkdf2 -md sha256 -iter 10000 -pass pass:wrong "
                          + "-in \(h.path(record.name.file)) | gunzip > /dev/null").status != 0)
    }

    @Test func aFileMadeWithOpenSSLDecryptsWithOurCode() async throws {
        let h = try BackupHarness()
        let plain = h.dataDirectory + "/plain.bin"
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 7) }
        try writeBytes(bytes, plain)
        let encrypted = h.dataDirectory + "/from-openssl.enc"
        let run = try shell("gzip -6 -c \(plain) | openssl enc -aes-256-cbc -salt -pbkdf2 -md sha256 -iter 12345 "
                            + "-pass pass:\(BackupHarness.passphrase) -out \(encrypted)")
        #expect(run.status == 0, "\(run.stderr)")
        let out = h.dataDirectory + "/decrypted.bin"
        let result = try EncryptedArchive.decrypt(source: encrypted, destination: out, passphrase: BackupHarness.passphrase,
                                                  iterations: 12345)
        #expect(readBytes(out) == bytes)
        #expect(result.size == Int64(bytes.count))
    }

    @Test func encryptionUsesAFreshSaltEachTime() throws {
        let h = try BackupHarness()
        let plain = h.dataDirectory + "/plain.bin"
        try writeBytes(Array(repeating: 7, count: 4096), plain)
        let a = try EncryptedArchive.encrypt(source: plain, destination: h.dataDirectory + "/a", passphrase: "p", iterations: 10_000)
        let b = try EncryptedArchive.encrypt(source: plain, destination: h.dataDirectory + "/b", passphrase: "p", iterations: 10_000)
        #expect(a.sha256 != b.sha256)
        #expect(readBytes(h.dataDirectory + "/a")[8..<16] != readBytes(h.dataDirectory + "/b")[8..<16])
    }
}
