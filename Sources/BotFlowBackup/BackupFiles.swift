import BotFlowCore
import Logging

/// The backup operations that need only the backup folders and the passphrase, not the live database: list, find,
/// verify, prune. The CLI uses them directly (with or without a server running).
public struct BackupFiles: Sendable {
    public let config: BackupConfiguration
    let clock: any AppClock
    let logger: Logger

    public init(config: BackupConfiguration, clock: any AppClock = SystemClock(), logger: Logger = Logger(label: "botflow.backup")) {
        self.config = config; self.clock = clock; self.logger = logger
    }

    var catalog: BackupCatalog { BackupCatalog(config: config) }

    /// Backups in the primary folder, newest first.
    public func list() -> [BackupRecord] { catalog.list() }

    public func find(name: String) -> BackupRecord? { catalog.find(name: name) }

    /// Verifies a backup by name (primary folder) or by path to an encrypted file.
    public func verify(_ reference: String) async throws(BackupOperationError) -> Verification {
        guard let located = catalog.locate(reference) else { throw .notFound(reference) }
        let verifier = BackupVerifier(config: config)
        return try! await offloaded { () throws(BackupError) in
            verifier.verify(file: located.file, manifestPath: located.manifest, name: located.name, keepDecrypted: false)
        }
    }

    public func prune(dryRun: Bool = false) -> PruneResult {
        let result = BackupPruner(config: config, catalog: catalog).prune(nowMilliseconds: clock.nowMilliseconds(), dryRun: dryRun)
        if !result.deleted.isEmpty {
            logger.info("backups pruned", metadata: ["deleted": "\(result.deleted)", "dry_run": "\(dryRun)"])
        }
        return result
    }
}
