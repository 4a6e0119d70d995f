import BotFlowCore
import BotFlowStorage
import Foundation
import Logging

/// Create (behaviour §13.4 steps 2–7). The caller holds the backup lock.
struct BackupCreator {
    let config: BackupConfiguration
    let database: AppDatabase
    let clock: any AppClock
    let logger: Logger

    func create(kind: BackupKind) async throws(BackupError) -> Manifest {
        let started = monotonicSeconds()
        let name = await freshName(kind: kind)
        let createdAt = clock.now()
        let primary = config.primary
        let snapshot = config.temporaryDirectory + "/" + name.stem + ".sqlite"
        let file = primary + "/" + name.file
        try FileIO.createDirectory(config.temporaryDirectory)
        try FileIO.createDirectory(primary)
        defer { FileIO.remove(snapshot) }

        var manifest: Manifest
        do {
            let (config, pool, logger) = (config, database.pool, logger)
            manifest = try await offloaded { () throws(BackupError) -> Manifest in
                var phases = PhaseTimer()
                try Snapshot.take(from: pool, to: snapshot)
                phases.lap("snapshot")
                // quick_check (§13.4 step 3) runs beside the compression of the same file and is waited for before
                // anything is published: a failed check throws, and the catch below removes the `.partial`.
                let check = BackgroundWork(name: "botflow-backup-check") { () throws(BackupError) in
                    try Snapshot.inspect(path: snapshot, fullCheck: false)
                }
                // db_sha256 and db_size_bytes come out of the compression pass, which reads the snapshot anyway.
                let encrypted: (sha256: String, size: Int64, sourceSHA256: String, sourceSize: Int64)
                do throws(BackupError) {
                    encrypted = try EncryptedArchive.encrypt(source: snapshot, destination: file + ".partial",
                                                             passphrase: config.passphrase, iterations: config.kdfIterations)
                } catch {
                    _ = try? check.wait()  // the check's thread still reads the snapshot the defer deletes
                    throw error
                }
                let (dbSHA, dbSize) = (encrypted.sourceSHA256, encrypted.sourceSize)
                phases.lap("compress_encrypt")
                let facts = try check.wait()
                phases.lap("quick_check_wait")
                var metadata = phases.metadata
                metadata["deflate"] = "\(DeflateEngine.preferred.name)"
                logger.info("backup phases", metadata: metadata)
                try FileIO.rename(file + ".partial", file)
                return Manifest(name: name.file, kind: kind, createdAt: createdAt, appVersion: AppVersion.current,
                                schemaVersion: facts.schemaVersion, instanceId: facts.instanceId, sha256: encrypted.sha256,
                                sizeBytes: encrypted.size, dbSHA256: dbSHA, dbSizeBytes: dbSize, kdfIterations: config.kdfIterations,
                                rowCounts: facts.rowCounts, durationMs: 0)
            }
            manifest.durationMs = Int((monotonicSeconds() - started) * 1000)
            try FileIO.writeAtomically(JSONWriter.bytes(manifest.json) + [0x0A], to: primary + "/" + name.manifest)
        } catch {
            // Nothing half-written stays behind: a file without its manifest is not a backup.
            for path in [file + ".partial", file, primary + "/" + name.manifest + ".partial"] { FileIO.remove(path) }
            throw error
        }
        for directory in config.directories.dropFirst() {
            copy(name, from: primary, to: directory, sha256: manifest.sha256)
        }
        logger.info("backup created", metadata: [
            "name": "\(name.file)", "kind": "\(kind.rawValue)", "size_bytes": "\(manifest.sizeBytes)",
            "db_size_bytes": "\(manifest.dbSizeBytes)", "duration_ms": "\(manifest.durationMs)",
        ])
        return manifest
    }

    /// A secondary copy (§13.4 step 6): `.partial` then rename, then its SHA-256 must match. A failing destination
    /// is a warning, never a failed backup.
    private func copy(_ name: BackupName, from primary: String, to directory: String, sha256: String) {
        let target = directory + "/" + name.file
        do {
            try FileIO.createDirectory(directory)
            let copied = try FileIO.copyAtomically(primary + "/" + name.file, to: target)
            guard copied == sha256 else { throw BackupError("copy checksum mismatch (\(copied) ≠ \(sha256))") }
            _ = try FileIO.copyAtomically(primary + "/" + name.manifest, to: directory + "/" + name.manifest)
        } catch {
            FileIO.remove(target)
            logger.warning("backup copy to a secondary destination failed", metadata: [
                "name": "\(name.file)", "destination": "\(directory)", "error": "\(error)",
            ])
        }
    }

    /// A name no earlier backup has: two backups never share a second (§13.2), so the second one waits for the next.
    private func freshName(kind: BackupKind) async -> BackupName {
        let now = clock.nowSeconds()
        var seconds = now
        while FileIO.exists(config.primary + "/" + BackupName(kind: kind, epochSeconds: seconds).file)
            || FileIO.exists(config.primary + "/" + BackupName(kind: kind, epochSeconds: seconds).file + ".partial") {
            seconds += 1
        }
        if seconds > now {
            // Wait until the wall clock reaches the name's second (bounded, in case the clock is a test clock).
            let deadline = ContinuousClock.now.advanced(by: .seconds(seconds - now + 1))
            while clock.nowSeconds() < seconds, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        }
        return BackupName(kind: kind, epochSeconds: seconds)
    }
}
