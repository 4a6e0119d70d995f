import BotFlowCore
import Crypto
import Foundation

/// Provider secrets at rest (behaviour §5.5): AES-256-GCM with a key derived by HKDF-SHA256 from the server secret,
/// a random 12-byte IV per write, and `"<table>:<row id>"` as additional data so an envelope cannot be moved to
/// another row.
public struct CredentialCipher: Sendable {
    private let key: SymmetricKey

    public init(serverSecret: String) {
        key = Self.deriveKey(serverSecret: serverSecret, info: "credentials:v1")
    }

    /// HKDF-SHA256 over the secret's UTF-8 bytes, salt `botflow`, 32 bytes (shared with upload tokens).
    public static func deriveKey(serverSecret: String, info: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Array(serverSecret.utf8)), salt: Array("botflow".utf8),
            info: Array(info.utf8), outputByteCount: 32)
    }

    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String { "Credentials unreadable" }
    }

    /// Encrypts a credentials object into the JSON envelope text stored in `*_encrypted` columns.
    public func seal(_ credentials: JSONObject, table: String, rowId: String) throws -> String {
        let plaintext = JSONWriter.bytes(.object(credentials))
        let sealed = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(), authenticating: Array("\(table):\(rowId)".utf8))
        let envelope: JSON = [
            "v": 1, "alg": "A256GCM", "iv": .string(Hex.encode(sealed.nonce)), "ct": .string(Hex.encode(sealed.ciphertext)),
            "tag": .string(Hex.encode(sealed.tag)),
        ]
        return JSONWriter.string(envelope)
    }

    /// Decrypts an envelope; throws `Unreadable` when it was sealed with another secret or for another row.
    public func open(_ envelope: String, table: String, rowId: String) throws(Unreadable) -> JSONObject {
        guard let json = try? JSONParser.parse(envelope), json["v"] == 1, json["alg"] == "A256GCM",
            let iv = json["iv"].stringValue.flatMap(Hex.decode), let ct = json["ct"].stringValue.flatMap(Hex.decode),
            let tag = json["tag"].stringValue.flatMap(Hex.decode),
            let nonce = try? AES.GCM.Nonce(data: iv),
            let box = try? AES.GCM.SealedBox(nonce: nonce, ciphertext: ct, tag: tag),
            let plaintext = try? AES.GCM.open(box, using: key, authenticating: Array("\(table):\(rowId)".utf8)),
            case .object(let credentials)? = try? JSONParser.parse(plaintext)
        else { throw Unreadable() }
        return credentials
    }
}

public enum Hex {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
