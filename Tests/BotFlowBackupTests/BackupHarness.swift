@testable import BotFlowBackup
import BotFlowCore
import BotFlowStorage
import BotFlowTestSupport
import Foundation
import GRDB
import Logging

/// A real migrated database in a fresh data directory with a `BackupService` on it. The KDF runs the minimum
/// 10 000 iterations so the suite stays fast; the format is the same at any count.
final class BackupHarness: @unchecked Sendable {
    static let passphrase = "3f1c9a0e5b7d2468ace0f1e2d3c4b5a69788a9bacbdcedfe0f1e2d3c4b5a6978"

    let dataDirectory: String
    let settings: Settings
    let database: AppDatabase
    let service: BackupService
    let clock: any AppClock

    init(clock: any AppClock = SystemClock(), extraDirectories: [String] = [], passphrase: String = BackupHarness.passphrase) throws {
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("botflow-backup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        var settings = Settings()
        settings.dataDirectory = dataDirectory
        settings.backupEncryptionKey = passphrase
        settings.backupKDFIterations = 10_000
        settings.backupDirectories = extraDirectories.isEmpty ? [] : [dataDirectory + "/backups"] + extraDirectories
        self.settings = settings
        self.clock = clock
        var logger = Logger(label: "botflow.test.backup")
        logger.logLevel = .critical
        database = try AppDatabase(path: settings.databasePath, logger: logger)
        service = BackupService(config: try BackupConfiguration(settings: settings), database: database, clock: clock, logger: logger)
    }

    deinit {
        try? database.close()
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    var primary: String { service.config.primary }

    /// The same folders read with another passphrase (the wrong-key cases).
    func files(passphrase: String) throws -> BackupFiles {
        var settings = settings
        settings.backupEncryptionKey = passphrase
        return BackupFiles(config: try BackupConfiguration(settings: settings))
    }

    func path(_ name: String) -> String { primary + "/" + name }

    func manifestPath(_ name: String) -> String { primary + "/" + BackupName(file: name)!.manifest }

    /// The organization names, a fingerprint of the live data for "untouched" checks.
    func organizationNames() async throws -> [String] {
        try await database.read { db in try String.fetchAll(db, sql: "SELECT name FROM organizations ORDER BY name") }
    }

    func entries(_ directory: String? = nil) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: directory ?? primary)) ?? [])
    }
}

/// Runs a shell pipeline; returns its exit status and standard error.
@discardableResult
func shell(_ command: String) throws -> (status: Int32, stderr: String) {
    let errors = Pipe()
    let child = try ChildProcess(executable: "/bin/bash", arguments: ["-o", "pipefail", "-c", command],
                                 environment: ProcessInfo.processInfo.environment, stderr: errors.fileHandleForWriting.fileDescriptor)
    try errors.fileHandleForWriting.close()
    let data = errors.fileHandleForReading.readDataToEndOfFile()
    child.wait()
    return (child.terminationStatus ?? -1, String(decoding: data, as: UTF8.self))
}

func readBytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }

func writeBytes(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
