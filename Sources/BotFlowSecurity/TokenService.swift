import BotFlowCore
import Crypto
import Foundation
import JWTKit

/// The claims of api.md §1.3. `iat`/`exp` are whole Unix seconds.
public struct AccessClaims: JWTPayload, Equatable {
    public var userId: String
    public var email: String
    public var organizationId: String?
    public var iat: Int64
    public var exp: Int64

    public init(userId: String, email: String, organizationId: String?, iat: Int64, exp: Int64) {
        self.userId = userId; self.email = email; self.organizationId = organizationId; self.iat = iat; self.exp = exp
    }

    /// Expiry is checked by `TokenService` against its clock (so tests can move time).
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Issues and verifies the appliance's HS256 access tokens (jwt-kit does the signing and MAC check).
public struct TokenService: Sendable {
    private let keys: JWTKeyCollection
    public let ttlSeconds: Int
    public let clock: any AppClock

    public init(secret: String, ttlSeconds: Int, clock: any AppClock) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Array(secret.utf8)), digestAlgorithm: .sha256)
        self.keys = keys
        self.ttlSeconds = ttlSeconds
        self.clock = clock
    }

    public func issue(userId: String, email: String, organizationId: String?) async throws -> String {
        let now = clock.nowSeconds()
        let claims = AccessClaims(userId: userId, email: email, organizationId: organizationId, iat: now, exp: now + Int64(ttlSeconds))
        return try await keys.sign(claims, header: ["typ": "JWT"])
    }

    /// The verified claims, or nil for anything malformed, signed with another key or algorithm, or expired.
    public func verify(_ token: String) async -> AccessClaims? {
        // jwt-kit picks the HMAC key without looking at the header's `alg`; api.md §1.3 rejects any other algorithm.
        guard Self.headerAlgorithm(of: token) == "HS256" else { return nil }
        guard let claims = try? await keys.verify(token, as: AccessClaims.self) else { return nil }
        guard claims.exp > clock.nowSeconds() else { return nil }
        return claims
    }

    static func headerAlgorithm(of token: String) -> String? {
        guard let headerPart = token.split(separator: ".", omittingEmptySubsequences: false).first,
            let data = Base64URL.decode(String(headerPart)),
            let header = try? JSONParser.parse(data)
        else { return nil }
        return header["alg"].stringValue
    }
}

/// Unpadded base64url (RFC 4648 §5), as JWTs and upload tokens use.
public enum Base64URL {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "=") }) else { return nil }
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.utf8.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }
}

/// SHA-256 of a bearer token, the key under which its verified identity may be cached. The lookup is an ordinary
/// dictionary compare (not constant-time), but of digests, never of the token's bytes: how fast a guessed token
/// misses tells nothing about a real token's bytes.
public struct TokenFingerprint: Hashable, Sendable {
    let words: (UInt64, UInt64, UInt64, UInt64)

    public init(_ token: String) {
        let digest = Array(SHA256.hash(data: Array(token.utf8)))
        func word(_ i: Int) -> UInt64 { digest[i * 8..<i * 8 + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        words = (word(0), word(1), word(2), word(3))
    }

    public static func == (a: Self, b: Self) -> Bool { a.words == b.words }
    public func hash(into hasher: inout Hasher) { hasher.combine(words.0); hasher.combine(words.1) }
}
