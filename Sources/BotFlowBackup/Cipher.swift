import CLibCrypto

/// AES-256-CBC with PKCS#7 padding through OpenSSL's EVP interface, keyed the way `openssl enc -pbkdf2 -md sha256`
/// keys it (behaviour §13.1), so the standard CLI can decrypt what we write and vice versa.
final class Cipher {
    static let magic = Array("Salted__".utf8)
    static let saltLength = 8
    static let blockSize = 16

    private let context: OpaquePointer

    /// PBKDF2-HMAC-SHA256(passphrase, salt, iterations) → 48 bytes: key = 0..<32, IV = 32..<48.
    init(encrypting: Bool, passphrase: String, salt: [UInt8], iterations: Int) throws(BackupError) {
        var material = [UInt8](repeating: 0, count: 48)
        let password = Array(passphrase.utf8)
        let derived = password.withUnsafeBufferPointer { pass in
            PKCS5_PBKDF2_HMAC(pass.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, Int32(pass.count),
                              salt, Int32(salt.count), Int32(iterations), EVP_sha256(), 48, &material)
        }
        guard derived == 1 else { throw BackupError("key derivation (PBKDF2) failed") }
        guard let context = EVP_CIPHER_CTX_new() else { throw BackupError("cannot allocate a cipher context") }
        self.context = context
        let key = Array(material[0..<32]), iv = Array(material[32..<48])
        guard EVP_CipherInit_ex(context, EVP_aes_256_cbc(), nil, key, iv, encrypting ? 1 : 0) == 1 else {
            throw BackupError("cipher initialisation failed")
        }
    }

    func update(_ input: [UInt8]) throws(BackupError) -> [UInt8] {
        guard !input.isEmpty else { return [] }
        var out = [UInt8](repeating: 0, count: input.count + Self.blockSize)
        var length: Int32 = 0
        guard EVP_CipherUpdate(context, &out, &length, input, Int32(input.count)) == 1 else {
            throw BackupError("cipher update failed")
        }
        out.removeLast(out.count - Int(length))
        return out
    }

    /// The same for a borrowed buffer (the compressor's output), without copying it into an array first.
    func update(_ input: UnsafeRawBufferPointer) throws(BackupError) -> [UInt8] {
        guard let base = input.baseAddress, !input.isEmpty else { return [] }
        var length: Int32 = 0
        var ok = false
        let out = [UInt8](unsafeUninitializedCapacity: input.count + Self.blockSize) { buffer, initialized in
            ok = EVP_CipherUpdate(context, buffer.baseAddress, &length, base.assumingMemoryBound(to: UInt8.self), Int32(input.count)) == 1
            initialized = ok ? Int(length) : 0
        }
        guard ok else { throw BackupError("cipher update failed") }
        return out
    }

    /// The last block. When decrypting, a bad PKCS#7 padding almost always means a wrong passphrase or a damaged file.
    func finish() throws(BackupError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.blockSize)
        var length: Int32 = 0
        guard EVP_CipherFinal_ex(context, &out, &length) == 1 else {
            throw BackupError("bad decrypt: invalid padding (wrong BACKUP_ENCRYPTION_KEY or a damaged file)")
        }
        out.removeLast(out.count - Int(length))
        return out
    }

    static func randomSalt() throws(BackupError) -> [UInt8] {
        var salt = [UInt8](repeating: 0, count: saltLength)
        guard RAND_bytes(&salt, Int32(saltLength)) == 1 else { throw BackupError("no random bytes for the salt") }
        return salt
    }

    deinit { EVP_CIPHER_CTX_free(context) }
}
