import BotFlowCore
import Foundation

/// The outcome of a prune (api.md AD6).
public struct PruneResult: Sendable {
    /// Backup file names deleted (or, on a dry run, that would be), oldest first.
    public var deleted: [String]
    /// Backups left in the primary folder.
    public var kept: Int

    public var json: JSON { ["deleted": .strings(deleted), "kept": .int(kept)] }
}

/// Retention (behaviour §13.5): in every destination, backups whose *name* timestamp is older than now − N days go
/// with their manifests. The newest backup of each kind is always kept, and files not named like ours are never
/// touched (an operator's own files in the folder are safe).
struct BackupPruner {
    let config: BackupConfiguration
    let catalog: BackupCatalog

    func prune(nowMilliseconds: Int64, dryRun: Bool) -> PruneResult {
        let cutoff = nowMilliseconds / 1000 - Int64(config.retentionDays) * 86_400
        var deleted = Set<String>()
        for directory in config.directories {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            let names = Set(entries.compactMap { BackupName(file: $0) ?? BackupName(manifest: $0) })
            let newest = Set([false, true].compactMap { preRestore in
                names.filter { $0.isPreRestore == preRestore }.max { ($0.epochSeconds, $0.file) < ($1.epochSeconds, $1.file) }
            })
            for name in names where name.epochSeconds < cutoff && !newest.contains(name) {
                deleted.insert(name.file)
                if !dryRun {
                    FileIO.remove(directory + "/" + name.file)
                    FileIO.remove(directory + "/" + name.manifest)
                }
            }
        }
        let order = deleted.compactMap { BackupName(file: $0) }.sorted { ($0.epochSeconds, $0.file) < ($1.epochSeconds, $1.file) }
        let remaining = catalog.names(in: config.primary).filter { !dryRun || !deleted.contains($0.file) }.count
        return PruneResult(deleted: order.map(\.file), kept: remaining)
    }
}
