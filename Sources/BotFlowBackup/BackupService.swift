import BotFlowCore
import BotFlowStorage
import Foundation
import Logging

/// Why a backup operation did not happen; the API maps these to 409 / 404 / 422 (api.md §4.15), the CLI to exit 1.
public enum BackupOperationError: Error, Sendable, CustomStringConvertible {
    /// Another create or restore holds the lock.
    case busy
    case notFound(String)
    case failed(String)

    public var description: String {
        switch self {
        case .busy: return "A backup or restore is already running"
        case .notFound(let name): return "Backup not found: \(name)"
        case .failed(let message): return message
        }
    }
}

/// Counters for `/metrics` `backups` (behaviour §11.2).
public struct BackupStats: Sendable {
    public var lastSuccessAt: String?
    public var lastFailureAt: String?
}

/// Backups of behaviour §13, one entry point for the API, the CLI and the job handlers: create, list, verify,
/// restore and prune, serialised by the backup lock.
public final class BackupService: Sendable {
    public let config: BackupConfiguration
    let database: AppDatabase
    let clock: any AppClock
    let logger: Logger
    public let lock: BackupLock
    public let stats = LockedValue(BackupStats())
    /// Told about every failed backup (the admin error log, behaviour §13.4).
    public let failureObservers = LockedValue<[@Sendable (_ kind: String, _ message: String) -> Void]>([])

    public init(config: BackupConfiguration, database: AppDatabase, clock: any AppClock, logger: Logger) {
        self.config = config; self.database = database; self.clock = clock; self.logger = logger
        lock = BackupLock(dataDirectory: config.dataDirectory)
    }

    var catalog: BackupCatalog { BackupCatalog(config: config) }

    // MARK: Create (§13.4)

    /// A backup now. `wait` (the scheduled run) waits for the lock; otherwise a taken lock is `.busy`.
    public func create(kind: BackupKind, wait: Bool = false) async throws(BackupOperationError) -> BackupRecord {
        let held: BackupLock.Held
        if wait {
            held = await lock.acquire(.backup)
        } else {
            guard let taken = lock.tryAcquire(.backup) else { throw .busy }
            held = taken
        }
        defer { held.release() }
        let manifest = try await createLocked(kind: kind)
        return catalog.record(BackupName(file: manifest.name)!)
    }

    func createLocked(kind: BackupKind) async throws(BackupOperationError) -> Manifest {
        do {
            let manifest = try await BackupCreator(config: config, database: database, clock: clock, logger: logger).create(kind: kind)
            stats.withLock { $0.lastSuccessAt = clock.now() }
            return manifest
        } catch {
            stats.withLock { $0.lastFailureAt = clock.now() }
            logger.error("backup failed", metadata: ["kind": "\(kind.rawValue)", "error": "\(error.message)"])
            for observer in failureObservers.withLock({ $0 }) { observer(kind.rawValue, error.message) }
            throw .failed(error.message)
        }
    }

    // MARK: List, verify (§13.6), prune (§13.5): files only

    public var files: BackupFiles { BackupFiles(config: config, clock: clock, logger: logger) }
    public func list() -> [BackupRecord] { files.list() }
    public func find(name: String) -> BackupRecord? { files.find(name: name) }
    public func verify(_ reference: String) async throws(BackupOperationError) -> Verification { try await files.verify(reference) }
    public func prune(dryRun: Bool = false) -> PruneResult { files.prune(dryRun: dryRun) }

    // MARK: Restore (§13.7)

    /// Replaces the live database with a verified backup. Any failure leaves the live database as it was and is
    /// reported as `.failed("<step>: <reason>")`.
    public func restore(_ reference: String, hooks: RestoreHooks = RestoreHooks()) async throws(BackupOperationError) -> RestoreResult {
        guard let located = catalog.locate(reference) else { throw .notFound(reference) }
        guard let held = lock.tryAcquire(.restore) else { throw .busy }
        defer { held.release() }
        let started = monotonicSeconds()
        logger.notice("restore started", metadata: ["name": "\(located.name)"])
        await hooks.closeGate()
        defer { hooks.openGate() }
        do {
            let result = try await restoreLocked(located, hooks: hooks, started: started)
            logger.notice("restore finished", metadata: ["name": "\(located.name)", "duration_ms": "\(result.durationMs)"])
            return result
        } catch {
            logger.error("restore failed; the live database is unchanged", metadata: ["name": "\(located.name)", "error": "\(error)"])
            throw error
        }
    }

    private func restoreLocked(_ located: (file: String, manifest: String, name: String), hooks: RestoreHooks,
                               started: Double) async throws(BackupOperationError) -> RestoreResult {
        let swap = DatabaseSwap(database: database, logger: logger)
        do { try swap.checkNoLeftover() } catch { throw .failed("restore refused: \(error.message)") }

        // 2. Verify, keeping the decrypted file.
        let verifier = BackupVerifier(config: config)
        let verification = try! await offloaded { () throws(BackupError) in
            verifier.verify(file: located.file, manifestPath: located.manifest, name: located.name, keepDecrypted: true)
        }
        guard verification.ok, let restored = verification.decryptedPath, let manifest = verification.manifest else {
            throw .failed("verify: \(verification.errors.joined(separator: "; "))")
        }
        defer { for suffix in ["", "-wal", "-shm", "-journal"] { FileIO.remove(restored + suffix) } }

        // 3. An encrypted safety snapshot of what is live now.
        let safety: Manifest
        do { safety = try await createLocked(kind: .pre_restore) } catch {
            throw .failed("pre-restore snapshot: \(error)")
        }

        // 4. Quiesce and close.
        await hooks.stopWorkers()
        do {
            try swap.closeLive()
        } catch {
            await hooks.startWorkers()
            throw .failed("close: \(error.message)")
        }

        // 5. Swap.
        do {
            try swap.swapIn(restored)
        } catch {
            try? swap.reopenLive()
            await hooks.startWorkers()
            throw .failed("swap: \(error.message)")
        }

        // 6. Reopen, migrate, check; 7. recover. Any failure puts the previous file back.
        var step = "reopen"
        do {
            try hooks.faultAfterSwap?()
            try database.reopen(logger: logger)
            step = "count check"
            let counts = try await database.read { db in try Snapshot.counts(db) }
            guard counts == manifest.rowCounts else {
                throw BackupError("row counts after reopening \(counts) differ from the manifest \(manifest.rowCounts)")
            }
            step = "recovery"
            try await hooks.afterRestore()
            swap.commit()
            await hooks.startWorkers()
            return RestoreResult(name: located.name, preRestoreBackup: safety.name, rowCounts: counts,
                                 durationMs: Int((monotonicSeconds() - started) * 1000))
        } catch {
            let reason = (error as? BackupError)?.message ?? "\(error)"
            do {
                try swap.rollBack()
            } catch {
                await hooks.startWorkers()
                throw .failed("\(step): \(reason); rolling back also failed: \(error.message) — the previous database is at \(swap.parked)")
            }
            await hooks.startWorkers()
            throw .failed("\(step): \(reason) (rolled back; the live database is unchanged)")
        }
    }
}
