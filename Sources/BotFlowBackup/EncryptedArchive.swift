import Crypto

/// The backup file format of behaviour §13.1: `Salted__` + 8-byte salt + AES-256-CBC(gzip(snapshot)).
/// Both directions stream in 1 MiB chunks, so memory stays flat whatever the database size.
enum EncryptedArchive {
    /// Compresses (gzip level 6 on every core, one member) then encrypts `source` into `destination` (which the caller
    /// publishes by renaming). Returns the SHA-256 (hex) and size of the encrypted output, and those of the source,
    /// hashed in the same pass that feeds the compressor (the snapshot is read once).
    static func encrypt(source: String, destination: String, passphrase: String, iterations: Int,
                        workers: Int = ParallelGzip.defaultWorkers) throws(BackupError)
        -> (sha256: String, size: Int64, sourceSHA256: String, sourceSize: Int64)
    {
        let salt = try Cipher.randomSalt()
        let cipher = try Cipher(encrypting: true, passphrase: passphrase, salt: salt, iterations: iterations)
        let gzip = try ParallelGzip(level: 6, workers: workers)
        let input = try InputFile(path: source)
        defer { input.close() }
        let output = try HashingOutput(path: destination)
        var sourceHash = SHA256()
        var sourceSize: Int64 = 0
        try output.write(Cipher.magic + salt)
        try gzip.compress(
            read: { buffer throws(BackupError) in try input.read(into: buffer) },
            consumed: { bytes in sourceHash.update(bufferPointer: bytes); sourceSize += Int64(bytes.count) },
            emit: { bytes throws(BackupError) in try output.write(try cipher.update(bytes)) })
        try output.write(try cipher.finish())
        try output.file.syncAndClose()
        let digest = output.digest()
        return (digest.sha256, digest.size, FileIO.hex(sourceHash.finalize()), sourceSize)
    }

    /// Decrypts and decompresses `source` into `destination`. Returns the SHA-256 (hex) and size of the plaintext.
    /// Throws with the reason: not our format, truncated, bad padding (wrong key), or a broken gzip stream.
    static func decrypt(source: String, destination: String, passphrase: String, iterations: Int) throws(BackupError)
        -> (sha256: String, size: Int64)
    {
        guard let total = FileIO.size(source) else { throw BackupError("cannot read \(source)") }
        let input = try InputFile(path: source)
        defer { input.close() }
        let header = try input.read(16) ?? []
        guard header.count == 16, Array(header[0..<8]) == Cipher.magic else {
            throw BackupError("not an encrypted backup: the file does not start with Salted__")
        }
        let body = total - 16
        guard body > 0, body % Int64(Cipher.blockSize) == 0 else {
            throw BackupError("truncated or damaged file: \(body) bytes of ciphertext is not a positive multiple of 16")
        }
        let cipher = try Cipher(encrypting: false, passphrase: passphrase, salt: Array(header[8..<16]), iterations: iterations)
        let inflater = try Inflater()
        let output = try HashingOutput(path: destination)
        func emit(_ bytes: [UInt8]) throws(BackupError) { try output.write(bytes) }
        do throws(BackupError) {
            while let chunk = try input.read(FileIO.chunkSize) {
                try emit(try inflater.process(try cipher.update(chunk)))
            }
            try emit(try inflater.process(try cipher.finish()))
            guard inflater.ended else { throw BackupError("gzip: the compressed stream ends early (truncated file)") }
            try output.file.syncAndClose()
        } catch {
            output.file.close()
            FileIO.remove(destination)
            // Garbage from the first block on is what a wrong passphrase looks like; say so.
            if output.size == 0 && !error.message.hasPrefix("bad decrypt") {
                throw BackupError("cannot decrypt: wrong BACKUP_ENCRYPTION_KEY or a damaged file (\(error.message))")
            }
            throw error
        }
        return output.digest()
    }
}

/// An output file that hashes and counts what is written to it (both directions report SHA-256 and size).
final class HashingOutput {
    let file: OutputFile
    private var hash = SHA256()
    private(set) var size: Int64 = 0

    init(path: String) throws(BackupError) { file = try OutputFile(path: path) }

    func write(_ bytes: [UInt8]) throws(BackupError) {
        guard !bytes.isEmpty else { return }
        try file.write(bytes)
        hash.update(data: bytes)
        size += Int64(bytes.count)
    }

    func digest() -> (sha256: String, size: Int64) { (FileIO.hex(hash.finalize()), size) }
}
