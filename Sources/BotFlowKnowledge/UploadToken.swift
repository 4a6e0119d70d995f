import BotFlowSecurity
import Crypto
import Foundation

/// Signed, expiring upload tokens (behaviour §5.6): `<b64url(payload)>.<b64url(HMAC-SHA256(key, b64url(payload)))>`,
/// payload `{"a":"<articleId>","b":"<botId>","e":<expiry>}`, key = HKDF(server secret, info `upload-token:v1`).
public struct UploadTokens: Sendable {
    let key: SymmetricKey

    public init(serverSecret: String) {
        key = CredentialCipher.deriveKey(serverSecret: serverSecret, info: "upload-token:v1")
    }

    public func issue(articleId: String, botId: String, expiresAt: Int64) -> String {
        let payload = "{\"a\":\(Self.quoted(articleId)),\"b\":\(Self.quoted(botId)),\"e\":\(expiresAt)}"
        let encoded = Self.base64url(Array(payload.utf8))
        return encoded + "." + Self.base64url(mac(encoded))
    }

    /// True when the MAC matches (constant time), the token names this article and bot, and `now` is before expiry.
    public func verify(_ token: String?, articleId: String, botId: String, nowSeconds: Int64) -> Bool {
        guard let token else { return false }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let signature = Self.unbase64url(String(parts[1])) else { return false }
        guard ConstantTime.equals(signature, mac(String(parts[0]))) else { return false }
        guard let payloadBytes = Self.unbase64url(String(parts[0])),
              let object = try? JSONSerialization.jsonObject(with: Data(payloadBytes)) as? [String: Any],
              let a = object["a"] as? String, let b = object["b"] as? String, let e = object["e"] as? NSNumber
        else { return false }
        return ConstantTime.equals(a, articleId) && ConstantTime.equals(b, botId) && nowSeconds < e.int64Value
    }

    private func mac(_ encodedPayload: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(encodedPayload.utf8), using: key))
    }

    static func quoted(_ s: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        let text = String(decoding: data, as: UTF8.self)
        return String(text.dropFirst().dropLast())
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func unbase64url(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), text.allSatisfy(\.isASCII) else { return nil }
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map { Array($0) }
    }
}
