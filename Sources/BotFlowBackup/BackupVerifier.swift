import BotFlowCore
import BotFlowSchema
import Foundation

/// The verification result of behaviour §13.6 / api.md AD4.
public struct Verification: Sendable {
    public var name: String
    public var checksumOK = false
    public var decryptOK = false
    public var integrityOK = false
    public var schemaOK = false
    public var countsOK = false
    /// Counts read from the decrypted snapshot (empty when it could not be decrypted).
    public var rowCounts: [String: Int] = [:]
    public var errors: [String] = []
    public var durationMs = 0
    /// The decrypted database, kept only when the caller asked (a restore swaps it in).
    public var decryptedPath: String?
    public var manifest: Manifest?

    public var ok: Bool { checksumOK && decryptOK && integrityOK && schemaOK && countsOK && errors.isEmpty }

    public var json: JSON {
        var counts = JSONObject()
        for table in countedTables where rowCounts[table] != nil { counts[table] = .int(rowCounts[table]!) }
        return [
            "name": .string(name), "ok": .bool(ok), "checksum_ok": .bool(checksumOK), "decrypt_ok": .bool(decryptOK),
            "integrity_ok": .bool(integrityOK), "schema_ok": .bool(schemaOK), "counts_ok": .bool(countsOK),
            "row_counts": .object(counts), "errors": .strings(errors), "duration_ms": .int(durationMs),
        ]
    }
}

/// Verify (behaviour §13.6): every check runs that can, so the report says everything that is wrong at once.
struct BackupVerifier {
    let config: BackupConfiguration

    func verify(file: String, manifestPath: String, name: String, keepDecrypted: Bool) -> Verification {
        let started = monotonicSeconds()
        var result = Verification(name: name)
        let manifest: Manifest
        do {
            manifest = try Manifest.read(path: manifestPath)
            result.manifest = manifest
        } catch {
            result.errors.append(error.message)
            result.durationMs = Int((monotonicSeconds() - started) * 1000)
            return result
        }

        // 2. The encrypted file is the one the manifest describes.
        do {
            let sha = try FileIO.sha256(ofFile: file)
            result.checksumOK = sha == manifest.sha256
            if !result.checksumOK {
                result.errors.append("checksum mismatch: the file's SHA-256 is \(sha), the manifest says \(manifest.sha256)"
                                     + " (the file was changed or damaged after it was written)")
            }
        } catch {
            result.errors.append("checksum: \(error.message)")
        }

        // 3. Decrypts with our passphrase, unpads, gunzips completely, and is the snapshot the manifest describes.
        let decrypted = config.temporaryDirectory + "/verify_\(Identifiers.uuid()).sqlite"
        var decryptedComplete = false
        do {
            try FileIO.createDirectory(config.temporaryDirectory)
            let plain = try EncryptedArchive.decrypt(source: file, destination: decrypted, passphrase: config.passphrase,
                                                     iterations: manifest.kdfIterations)
            decryptedComplete = true
            result.decryptOK = plain.sha256 == manifest.dbSHA256
            if !result.decryptOK { result.errors.append("decrypted database SHA-256 \(plain.sha256) differs from the manifest's db_sha256") }
        } catch {
            result.errors.append("decrypt: \(error.message)")
        }

        if decryptedComplete {
            do {
                // 4–6. A sound SQLite file, of a schema this binary can run, with the rows the manifest counted.
                let facts = try Snapshot.inspect(path: decrypted, fullCheck: true)
                result.integrityOK = true
                result.rowCounts = facts.rowCounts
                result.schemaOK = facts.schemaVersion == manifest.schemaVersion && facts.schemaVersion <= Schema.latestVersion
                if !result.schemaOK {
                    result.errors.append("schema: the snapshot's schema_version is \(facts.schemaVersion), the manifest says "
                                         + "\(manifest.schemaVersion), this binary runs up to \(Schema.latestVersion)")
                }
                result.countsOK = facts.rowCounts == manifest.rowCounts
                if !result.countsOK {
                    let diffs = countedTables.filter { facts.rowCounts[$0] != manifest.rowCounts[$0] }
                        .map { "\($0) \(facts.rowCounts[$0] ?? 0) ≠ \(manifest.rowCounts[$0] ?? 0)" }
                    result.errors.append("row counts differ from the manifest: \(diffs.joined(separator: ", "))")
                }
            } catch {
                result.errors.append("integrity: \(error.message)")
            }
        }

        // 7. The temporary copy goes, unless a restore is about to use it.
        if keepDecrypted && result.ok {
            result.decryptedPath = decrypted
        } else {
            for suffix in ["", "-wal", "-shm", "-journal"] { FileIO.remove(decrypted + suffix) }
        }
        result.durationMs = Int((monotonicSeconds() - started) * 1000)
        return result
    }
}
