import CLibCrypto
import Foundation

/// Password storage of behaviour §5.4: `pbkdf2_sha256$<iterations>$<base64 salt>$<base64 hash>` (PBKDF2-HMAC-SHA256,
/// 16-byte salt, 32-byte hash, ≥ 600 000 iterations) through OpenSSL. PBKDF2 takes the whole password, so nothing
/// past 72 bytes is truncated (the bcrypt pitfall).
///
/// Hashing is deliberately slow (~0.2 s), so it runs on a dedicated queue, never on the async executor's threads.
public struct PasswordHasher: Sendable {
    public static let minimumIterations = 600_000
    public let iterations: Int

    private static let queue = DispatchQueue(label: "botflow.password-hashing", attributes: .concurrent)

    public init(iterations: Int = PasswordHasher.minimumIterations) {
        precondition(iterations >= PasswordHasher.minimumIterations, "behaviour §5.4 requires ≥ 600000 PBKDF2 iterations")
        self.iterations = iterations
    }

    public func hash(_ password: String) async -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = rng.next() }
        let derived = await Self.derive(password: password, salt: salt, iterations: iterations)
        return "pbkdf2_sha256$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    /// Constant-time verification. A malformed stored hash verifies as false (after the same amount of work).
    public func verify(_ password: String, against stored: String) async -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2_sha256", let iters = Int(parts[1]), iters >= 1, iters <= 10_000_000,
            let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3])), expected.count == 32
        else {
            await dummyVerify(password)
            return false
        }
        let derived = await Self.derive(password: password, salt: Array(salt), iterations: iters)
        return ConstantTime.equals(derived, Array(expected))
    }

    /// Spends the same time as a real verification (login with an unknown email).
    public func dummyVerify(_ password: String) async {
        _ = await Self.derive(password: password, salt: Array(repeating: 0, count: 16), iterations: iterations)
    }

    static func derive(password: String, salt: [UInt8], iterations: Int) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            queue.async {
                let pw = Array(password.utf8)
                var out = [UInt8](repeating: 0, count: 32)
                let ok = pw.withUnsafeBufferPointer { p in
                    salt.withUnsafeBufferPointer { s in
                        PKCS5_PBKDF2_HMAC(
                            p.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, Int32(pw.count),
                            s.baseAddress, Int32(salt.count), Int32(iterations), EVP_sha256(), 32, &out)
                    }
                }
                precondition(ok == 1, "PKCS5_PBKDF2_HMAC failed")
                continuation.resume(returning: out)
            }
        }
    }
}
