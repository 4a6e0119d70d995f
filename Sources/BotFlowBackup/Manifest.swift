import BotFlowCore

/// The five tables whose row counts a manifest records and a restore checks (behaviour §13.3, §13.7 step 6).
public let countedTables = ["organizations", "bots", "conversations", "messages", "knowledge_base_articles"]

/// The manifest written next to every backup file (behaviour §13.3).
public struct Manifest: Sendable, Equatable {
    public var formatVersion = 1
    public var name: String
    public var kind: String
    public var createdAt: String
    public var appVersion: String
    public var schemaVersion: Int
    public var instanceId: String
    /// SHA-256 (lower-case hex) of the encrypted file.
    public var sha256: String
    public var sizeBytes: Int64
    /// SHA-256 of the uncompressed snapshot.
    public var dbSHA256: String
    public var dbSizeBytes: Int64
    public var cipher = "aes-256-cbc"
    public var kdf = "pbkdf2-hmac-sha256"
    public var kdfIterations: Int
    public var compression = "gzip"
    /// Keyed by `countedTables`, in that order.
    public var rowCounts: [String: Int]
    public var durationMs: Int

    public var json: JSON {
        var counts = JSONObject()
        for table in countedTables { counts[table] = .int(rowCounts[table] ?? 0) }
        return [
            "format_version": .int(formatVersion), "name": .string(name), "kind": .string(kind), "created_at": .string(createdAt),
            "app_version": .string(appVersion), "schema_version": .int(schemaVersion), "instance_id": .string(instanceId),
            "sha256": .string(sha256), "size_bytes": .int(sizeBytes), "db_sha256": .string(dbSHA256),
            "db_size_bytes": .int(dbSizeBytes), "cipher": .string(cipher), "kdf": .string(kdf),
            "kdf_iterations": .int(kdfIterations), "compression": .string(compression), "row_counts": .object(counts),
            "duration_ms": .int(durationMs),
        ]
    }

    /// Parses a manifest; the message names the first missing or malformed field.
    public init(json: JSON) throws(BackupError) {
        func string(_ key: String) throws(BackupError) -> String {
            guard let v = json[key].stringValue else { throw BackupError("manifest: field \(key) missing or not a string") }
            return v
        }
        func int(_ key: String) throws(BackupError) -> Int64 {
            guard let v = json[key].integerValue else { throw BackupError("manifest: field \(key) missing or not an integer") }
            return v
        }
        guard json.objectValue != nil else { throw BackupError("manifest: not a JSON object") }
        formatVersion = Int(try int("format_version"))
        guard formatVersion == 1 else { throw BackupError("manifest: format_version \(formatVersion) is not supported (expected 1)") }
        name = try string("name"); kind = try string("kind"); createdAt = try string("created_at")
        appVersion = try string("app_version"); schemaVersion = Int(try int("schema_version")); instanceId = try string("instance_id")
        sha256 = try string("sha256"); sizeBytes = try int("size_bytes"); dbSHA256 = try string("db_sha256")
        dbSizeBytes = try int("db_size_bytes"); cipher = try string("cipher"); kdf = try string("kdf")
        kdfIterations = Int(try int("kdf_iterations")); compression = try string("compression"); durationMs = Int(try int("duration_ms"))
        guard cipher == "aes-256-cbc", kdf == "pbkdf2-hmac-sha256", compression == "gzip" else {
            throw BackupError("manifest: unsupported cipher/kdf/compression \(cipher)/\(kdf)/\(compression)")
        }
        guard kdfIterations >= 1 else { throw BackupError("manifest: kdf_iterations must be positive") }
        var counts: [String: Int] = [:]
        for table in countedTables {
            guard let n = json["row_counts"][table].integerValue else { throw BackupError("manifest: row_counts.\(table) missing") }
            counts[table] = Int(n)
        }
        rowCounts = counts
    }

    public init(name: String, kind: BackupKind, createdAt: String, appVersion: String, schemaVersion: Int, instanceId: String,
                sha256: String, sizeBytes: Int64, dbSHA256: String, dbSizeBytes: Int64, kdfIterations: Int,
                rowCounts: [String: Int], durationMs: Int) {
        self.name = name; self.kind = kind.rawValue; self.createdAt = createdAt; self.appVersion = appVersion
        self.schemaVersion = schemaVersion; self.instanceId = instanceId; self.sha256 = sha256; self.sizeBytes = sizeBytes
        self.dbSHA256 = dbSHA256; self.dbSizeBytes = dbSizeBytes; self.kdfIterations = kdfIterations
        self.rowCounts = rowCounts; self.durationMs = durationMs
    }

    /// Reads and parses the manifest file at `path`.
    public static func read(path: String) throws(BackupError) -> Manifest {
        guard let bytes = FileIO.readAll(path) else { throw BackupError("manifest not found: \(path)") }
        let json: JSON
        do { json = try JSONParser.parse(bytes) } catch { throw BackupError("manifest: \(error)") }
        return try Manifest(json: json)
    }
}

/// A failure with an operator-readable message (the text goes into verify reports, 422 bodies and CLI output).
public struct BackupError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
