import Crypto
import Foundation

/// Provider webhook signatures (behaviour §5.7). Every comparison is constant-time after a length check, so a forger
/// learns nothing from response timing.
public enum WebhookSignatures {
    // MARK: Twilio (WH2)

    /// Base64 HMAC-SHA1(authToken, URL + name+value of every parameter, sorted by name in byte order).
    /// Equal names are ordered by value so the result never depends on the order the body listed them.
    public static func twilioSignature(authToken: String, url: String, parameters: [(String, String)]) -> String {
        let sorted = parameters.sorted { a, b in
            a.0 == b.0 ? a.1.utf8.lexicographicallyPrecedes(b.1.utf8) : a.0.utf8.lexicographicallyPrecedes(b.0.utf8)
        }
        var message = Array(url.utf8)
        for (name, value) in sorted {
            message.append(contentsOf: name.utf8)
            message.append(contentsOf: value.utf8)
        }
        let key = SymmetricKey(data: Array(authToken.utf8))
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key)
        return Data(mac).base64EncodedString()
    }

    /// True when `header` (`X-Twilio-Signature`) is the signature of this request; a missing header never matches.
    public static func verifyTwilio(authToken: String, url: String, parameters: [(String, String)], header: String?) -> Bool {
        guard let header, !header.isEmpty else { return false }
        let expected = twilioSignature(authToken: authToken, url: url, parameters: parameters)
        return ConstantTime.equals(Array(expected.utf8), Array(header.utf8))
    }

    // MARK: Meta (WH4)

    /// Checks `X-Hub-Signature-256: sha256=<hex>` against HMAC-SHA256 of the raw body under each non-empty candidate
    /// secret (the global app secret and the per-account ones). Missing or malformed headers never match.
    public static func verifyMeta(body: [UInt8], header: String?, secrets: [String]) -> Bool {
        guard let header, header.hasPrefix("sha256=") else { return false }
        let hex = String(header.dropFirst("sha256=".count))
        // A SHA-256 MAC is 32 bytes; checking the length first keeps the comparison itself constant-time.
        guard let given = Hex.decode(hex), given.count == SHA256.byteCount else { return false }
        var matched = false
        for secret in secrets where !secret.isEmpty {
            // No early exit: every candidate is computed whatever matched before.
            if ConstantTime.equals(hmacSHA256(secret: secret, body: body), given) { matched = true }
        }
        return matched
    }

    // MARK: Plain HMAC-SHA256 (Meta, knowledge `complete` callback)

    /// Lower-case hex HMAC-SHA256(secret, body) — the `x-webhook-signature` of the knowledge callback (K5).
    public static func hmacSHA256Hex(secret: String, body: some Collection<UInt8>) -> String {
        Hex.encode(hmacSHA256(secret: secret, body: body))
    }

    /// Verifies a bare lower-case hex HMAC-SHA256 header (K5 `x-webhook-signature`); an empty secret never matches.
    public static func verifyHMACSHA256Hex(secret: String, body: some Collection<UInt8>, header: String?) -> Bool {
        guard !secret.isEmpty, let header, let given = Hex.decode(header), given.count == SHA256.byteCount else { return false }
        return ConstantTime.equals(hmacSHA256(secret: secret, body: body), given)
    }

    static func hmacSHA256(secret: String, body: some Collection<UInt8>) -> [UInt8] {
        let key = SymmetricKey(data: Array(secret.utf8))
        return Array(HMAC<SHA256>.authenticationCode(for: Array(body), using: key))
    }
}
