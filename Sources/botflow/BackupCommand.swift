import ArgumentParser
import BotFlowBackup
import BotFlowCore
import BotFlowSecurity
import BotFlowStorage
import Foundation
import Logging

/// `botflow backup create|list|verify|restore|prune` (behaviour §13.8): exit 0 on success, 1 on failure, 2 on usage.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Create, list, verify, restore and prune encrypted backups.",
        subcommands: [Create.self, List.self, Verify.self, Restore.self, Prune.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a manual backup now and print its name.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let context = try BackupContext(common)
            guard FileManager.default.fileExists(atPath: context.settings.databasePath) else {
                fail("no database at \(context.settings.databasePath)")
            }
            let service = try context.service(database: try context.openDatabase())
            do {
                print(try await service.create(kind: .manual).name.file)
            } catch {
                fail("\(error)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List backups in the primary folder, newest first.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let context = try BackupContext(common)
            let records = BackupFiles(config: context.config).list()
            print(["NAME", "CREATED_AT", "SIZE", "KIND", "DESTINATIONS"].joined(separator: "\t"))
            for record in records {
                let m = record.manifest
                print([record.name.file, m?.createdAt ?? "-", m.map { "\($0.sizeBytes)" } ?? "-",
                       m?.kind ?? "(manifest: \(record.manifestError ?? "missing"))", record.destinations.joined(separator: ",")]
                    .joined(separator: "\t"))
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verify a backup (checksum, decryption, integrity, schema, counts).")
        @OptionGroup var common: CommonOptions
        @Argument(help: "A backup name in the primary folder, or a path to a .db.gz.enc file.") var backup: String

        func run() async throws {
            let context = try BackupContext(common)
            let verification: Verification
            do {
                verification = try await BackupFiles(config: context.config).verify(backup)
            } catch {
                fail("\(error)")
            }
            print("\(verification.name): \(verification.ok ? "OK" : "FAILED")")
            for (flag, value) in [("checksum", verification.checksumOK), ("decrypt", verification.decryptOK),
                                  ("integrity", verification.integrityOK), ("schema", verification.schemaOK),
                                  ("counts", verification.countsOK)] {
                print("  \(flag): \(value ? "ok" : "FAILED")")
            }
            for table in countedTables { if let n = verification.rowCounts[table] { print("  \(table): \(n)") } }
            for error in verification.errors { print("  error: \(error)") }
            if !verification.ok { throw ExitCode(1) }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the database with a verified backup (the server must be stopped; use the admin API otherwise).")
        @OptionGroup var common: CommonOptions
        @Argument(help: "A backup name in the primary folder, or a path to a .db.gz.enc file.") var backup: String
        @Flag(name: .long, help: "Do not ask for confirmation.") var yes = false

        func run() async throws {
            let context = try BackupContext(common)
            let dataDirectory = context.settings.dataDirectory
            // Holding the server's lock for the whole restore also keeps a server from starting in the middle of it.
            let serverLock: DataDirectoryLock?
            do { serverLock = try DataDirectoryLock.acquire(dataDirectory: dataDirectory) } catch { fail("\(error)") }
            guard let serverLock else {
                fail("a botflow server is running on \(dataDirectory); stop it or use POST /api/admin/backups/<name>/restore")
            }
            if !yes {
                print("This replaces the database in \(dataDirectory) with \(backup) (a pre-restore backup is kept). Type yes to continue: ",
                      terminator: "")
                guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else { fail("restore cancelled") }
            }
            let service = try context.service(database: try context.openDatabase())
            do {
                let result = try await service.restore(backup)
                print("restored \(result.name) in \(result.durationMs) ms; pre-restore backup \(result.preRestoreBackup)")
                for table in countedTables { print("  \(table): \(result.rowCounts[table] ?? 0)") }
            } catch {
                fail("restore failed: \(error)")
            }
            _ = serverLock
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete backups older than BACKUP_RETENTION_DAYS (the newest is kept).")
        @OptionGroup var common: CommonOptions
        @Flag(name: .long, help: "Only print what would be deleted.") var dryRun = false

        func run() async throws {
            let context = try BackupContext(common)
            let result = BackupFiles(config: context.config).prune(dryRun: dryRun)
            for name in result.deleted { print("\(dryRun ? "would delete" : "deleted") \(name)") }
            print("kept \(result.kept)")
        }
    }
}

/// Settings, the backup passphrase and (for create and restore) the database, as the server would set them up.
struct BackupContext {
    let settings: Settings
    let config: BackupConfiguration
    let logger: Logger

    init(_ common: CommonOptions) throws {
        var settings = try common.settings()
        logger = makeLogger(level: settings.logLevel == "info" ? "warn" : settings.logLevel)
        do {
            try FileManager.default.createDirectory(atPath: settings.dataDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            if settings.backupEncryptionKey == nil {
                settings.backupEncryptionKey = try SecretFiles.loadOrCreate(directory: settings.dataDirectory, name: "backup.key")
            }
            config = try BackupConfiguration(settings: settings)
        } catch {
            fail("\(error)")
        }
        self.settings = settings
    }

    func openDatabase() throws -> AppDatabase {
        do { return try AppDatabase(path: settings.databasePath, logger: logger) } catch { fail("cannot open the database: \(error)") }
    }

    func service(database: AppDatabase) throws -> BackupService {
        BackupService(config: config, database: database, clock: SystemClock(), logger: logger)
    }
}

/// Prints to standard error and exits 1 (an operation failed, as opposed to a usage error).
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(1)
}
