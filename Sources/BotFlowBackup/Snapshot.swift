import Dispatch
import GRDB

/// What a backup records about its snapshot, read from the snapshot itself (behaviour §13.4 step 3).
struct SnapshotFacts: Sendable {
    var schemaVersion: Int
    var instanceId: String
    var rowCounts: [String: Int]
}

/// The SQLite side of a backup: the online copy and the checks on a copy.
enum Snapshot {
    /// Copies the live database with the SQLite online backup API, 1 000 pages per step, inside one read transaction
    /// so the copy is one point in time while writers carry on in the WAL (§13.4 step 2). The copy is switched to
    /// rollback-journal mode so it is a single self-contained file (what `openssl … | gunzip` hands back).
    static func take(from pool: DatabasePool, to path: String) throws(BackupError) {
        FileIO.remove(path)
        do {
            let destination = try DatabaseQueue(path: path)
            // The copy is a scratch file until the encrypted backup is complete (it is deleted after, and a crash
            // leaves nothing that counts), so it is not fsynced: that would write the whole database to disk once
            // more for nothing.
            try destination.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = OFF") }
            try pool.backup(to: destination, pagesPerStep: 1000)
            try destination.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") }
            try destination.close()
        } catch {
            FileIO.remove(path)
            throw BackupError("snapshot failed: \(error)")
        }
    }

    /// Opens `path` read-only, runs `PRAGMA quick_check` or `integrity_check` (must be exactly one row `ok`), reads
    /// `schema_version`, `instance_id` and the five row counts.
    static func inspect(path: String, fullCheck: Bool) throws(BackupError) -> SnapshotFacts {
        let pragma = fullCheck ? "integrity_check" : "quick_check"
        do {
            var config = Configuration()
            config.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: config)
            defer { try? queue.close() }
            return try queue.read { db in
                let rows = try String.fetchAll(db, sql: "PRAGMA \(pragma)")
                guard rows == ["ok"] else {
                    throw BackupError("\(pragma) failed: \(rows.prefix(3).joined(separator: "; "))")
                }
                let version = try String.fetchOne(db, sql: "SELECT value FROM app_meta WHERE key = 'schema_version'")
                let instance = try String.fetchOne(db, sql: "SELECT value FROM app_meta WHERE key = 'instance_id'")
                return SnapshotFacts(schemaVersion: version.flatMap { Int($0) } ?? 0, instanceId: instance ?? "",
                                     rowCounts: try counts(db))
            }
        } catch let error as BackupError {
            throw error
        } catch {
            throw BackupError("\(pragma) could not run: \(error)")
        }
    }

    static func counts(_ db: Database) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in countedTables {
            counts[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
        }
        return counts
    }
}

/// Runs file- and CPU-heavy work (snapshot, gzip, encryption, hashing) on a plain dispatch thread, so a 1 GB
/// backup does not hold one of the few cooperative threads the HTTP server runs on.
func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws(BackupError) -> T) async throws(BackupError) -> T {
    let result: Result<T, BackupError> = await withCheckedContinuation { continuation in
        DispatchQueue.global(qos: .utility).async {
            do throws(BackupError) { continuation.resume(returning: .success(try work())) } catch { continuation.resume(returning: .failure(error)) }
        }
    }
    return try result.get()
}
