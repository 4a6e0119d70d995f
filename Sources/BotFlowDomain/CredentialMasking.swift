import BotFlowCore

/// Credential objects as responses show them (api.md §1.15): same keys; a string under a key that names a secret
/// becomes `****` plus its last 4 characters when it has at least 12, else `****`.
public enum CredentialMasking {
    static let secretWords = ["secret", "token", "key", "password", "auth", "sid"]

    public static func isSecretKey(_ key: String) -> Bool {
        let lower = key.lowercased()
        return secretWords.contains { lower.contains($0) }
    }

    public static func mask(_ value: String) -> String {
        let scalars = Array(value.unicodeScalars)
        guard scalars.count >= 12 else { return "****" }
        var tail = String.UnicodeScalarView()
        tail.append(contentsOf: scalars.suffix(4))
        return "****" + String(tail)
    }

    /// Masks the top-level string values under secret-named keys; other values are returned unchanged, exactly as
    /// api.md §1.15 says (clients that store nested secrets should use flat keys; see docs/SECURITY.md).
    public static func mask(_ credentials: JSONObject) -> JSONObject {
        var out = JSONObject()
        for (key, value) in credentials {
            switch value {
            case .string(let s) where isSecretKey(key): out[key] = .string(mask(s))
            default: out[key] = value
            }
        }
        return out
    }
}
