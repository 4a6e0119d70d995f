import BotFlowCore
import Foundation

/// A backup as the admin API and `botflow backup list` show it: the manifest plus where copies exist
/// (api.md §2.11 "Backup").
public struct BackupRecord: Sendable {
    public let name: BackupName
    /// The primary folder's copy.
    public let path: String
    public let manifest: Manifest?
    /// Why the manifest could not be read (the file is listed anyway: hiding a broken backup helps nobody).
    public let manifestError: String?
    public let destinations: [String]

    public var json: JSON {
        var object: JSONObject
        if let manifest, case .object(let o) = manifest.json {
            object = o
        } else {
            object = [
                "name": .string(name.file), "kind": .string(name.isPreRestore ? "pre_restore" : "unknown"),
                "created_at": .string(Timestamp.format(epochMilliseconds: name.epochSeconds * 1000)),
                "size_bytes": .int(Int(FileIO.size(path) ?? 0)), "manifest_error": .string(manifestError),
            ]
        }
        object["name"] = .string(name.file)
        object["destinations"] = .strings(destinations)
        return .object(object)
    }
}

/// Finds backups in the destination folders. Names, never file dates, decide age and order.
struct BackupCatalog {
    let config: BackupConfiguration

    /// Backups in the primary folder, newest first.
    func list() -> [BackupRecord] {
        names(in: config.primary).sorted { ($0.epochSeconds, $0.file) > ($1.epochSeconds, $1.file) }.map(record)
    }

    /// A backup by file name in the primary folder (api.md §4.15); nil when the name is malformed or absent.
    func find(name: String) -> BackupRecord? {
        guard let parsed = BackupName(file: name), FileIO.exists(config.primary + "/" + parsed.file) else { return nil }
        return record(parsed)
    }

    /// A backup by name (primary folder) or by path to an encrypted file anywhere (CLI, manual recovery).
    func locate(_ reference: String) -> (file: String, manifest: String, name: String)? {
        if let record = find(name: reference) {
            return (record.path, config.primary + "/" + record.name.manifest, record.name.file)
        }
        guard reference.contains("/"), FileIO.exists(reference) else { return nil }
        let file = (reference as NSString).lastPathComponent
        let dir = (reference as NSString).deletingLastPathComponent
        let stem = file.hasSuffix(BackupName.fileSuffix) ? String(file.dropLast(BackupName.fileSuffix.count)) : file
        return (reference, (dir.isEmpty ? "." : dir) + "/" + stem + BackupName.manifestSuffix, file)
    }

    func record(_ name: BackupName) -> BackupRecord {
        let path = config.primary + "/" + name.file
        var manifest: Manifest?
        var manifestError: String?
        do { manifest = try Manifest.read(path: config.primary + "/" + name.manifest) } catch { manifestError = error.message }
        let destinations = config.directories.filter { FileIO.exists($0 + "/" + name.file) && FileIO.exists($0 + "/" + name.manifest) }
        return BackupRecord(name: name, path: path, manifest: manifest, manifestError: manifestError, destinations: destinations)
    }

    /// Encrypted files in `directory` whose names match §13.2 (anything else is not ours).
    func names(in directory: String) -> [BackupName] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.compactMap { BackupName(file: $0) }
    }
}
