import BotFlowCore
import BotFlowSecurity
import Foundation
import Testing

@Suite struct PasswordHasherTests {
    @Test func hashIsSelfDescribingAndVerifies() async {
        let hasher = PasswordHasher()
        let long = String(repeating: "p", count: 72) + "tail"
        let hash = await hasher.hash(long)
        let parts = hash.split(separator: "$")
        #expect(parts.count == 4 && parts[0] == "pbkdf2_sha256" && parts[1] == "600000")
        #expect(Data(base64Encoded: String(parts[2]))?.count == 16 && Data(base64Encoded: String(parts[3]))?.count == 32)
        #expect(await hasher.verify(long, against: hash))
        // Nothing past 72 bytes is truncated (the bcrypt pitfall).
        #expect(await !hasher.verify(String(repeating: "p", count: 72) + "TAIL", against: hash))
        #expect(await !hasher.verify("x", against: "garbage"))
    }

    @Test func saltsDiffer() async {
        let hasher = PasswordHasher()
        let a = await hasher.hash("same password")
        let b = await hasher.hash("same password")
        #expect(a != b)
    }
}

@Suite struct TokenServiceTests {
    final class Clock: AppClock, @unchecked Sendable {
        var ms: Int64 = 1_768_645_353_000
        func nowMilliseconds() -> Int64 { ms }
    }

    @Test func issuesVerifiableTokensThatExpire() async throws {
        let clock = Clock()
        let service = await TokenService(secret: String(repeating: "k", count: 32), ttlSeconds: 604_800, clock: clock)
        let token = try await service.issue(userId: "u1", email: "a@b.co", organizationId: "o1")
        let claims = try #require(await service.verify(token))
        #expect(claims == AccessClaims(userId: "u1", email: "a@b.co", organizationId: "o1", iat: 1_768_645_353, exp: 1_768_645_353 + 604_800))
        let header = try JSONParser.parse(Base64URL.decode(String(token.split(separator: ".")[0]))!)
        #expect(header["alg"] == "HS256" && header["typ"] == "JWT")
        clock.ms += 604_800_000
        #expect(await service.verify(token) == nil)
    }

    @Test func rejectsOtherKeysAndAlgorithms() async throws {
        let clock = Clock()
        let service = await TokenService(secret: String(repeating: "k", count: 32), ttlSeconds: 60, clock: clock)
        let other = await TokenService(secret: String(repeating: "z", count: 32), ttlSeconds: 60, clock: clock)
        let foreign = try await other.issue(userId: "u1", email: "a@b.co", organizationId: nil)
        #expect(await service.verify(foreign) == nil)
        let token = try await service.issue(userId: "u1", email: "a@b.co", organizationId: nil)
        let parts = token.split(separator: ".").map(String.init)
        let noneHeader = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        #expect(await service.verify("\(noneHeader).\(parts[1]).") == nil)
        #expect(await service.verify("\(noneHeader).\(parts[1]).\(parts[2])") == nil)
        #expect(await service.verify("garbage") == nil)
    }
}

@Suite struct CredentialCipherTests {
    @Test func sealsWithRowBoundEnvelope() throws {
        let cipher = CredentialCipher(serverSecret: String(repeating: "s", count: 64))
        let envelope = try cipher.seal(["accessToken": "EAAG-secret-value"], table: "whatsapp_accounts", rowId: "row-1")
        #expect(!envelope.contains("EAAG-secret-value"))
        let json = try JSONParser.parse(envelope)
        #expect(json["v"] == 1 && json["alg"] == "A256GCM")
        #expect(json["iv"].stringValue?.count == 24 && json["tag"].stringValue?.count == 32)
        #expect(try cipher.open(envelope, table: "whatsapp_accounts", rowId: "row-1") == ["accessToken": "EAAG-secret-value"])
        #expect(throws: CredentialCipher.Unreadable.self) { try cipher.open(envelope, table: "whatsapp_accounts", rowId: "row-2") }
        let otherSecret = CredentialCipher(serverSecret: String(repeating: "t", count: 64))
        #expect(throws: CredentialCipher.Unreadable.self) { try otherSecret.open(envelope, table: "whatsapp_accounts", rowId: "row-1") }
        let again = try cipher.seal(["accessToken": "EAAG-secret-value"], table: "whatsapp_accounts", rowId: "row-1")
        #expect(again != envelope)  // random IV per write
    }
}

@Suite struct SecretFileTests {
    @Test func createdOnceWithMode0600() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try SecretFiles.loadOrCreate(directory: dir, name: "jwt.secret")
        #expect(first.count == 64 && first.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(try SecretFiles.loadOrCreate(directory: dir, name: "jwt.secret") == first)
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/jwt.secret")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try String(contentsOfFile: dir + "/jwt.secret", encoding: .utf8) == first)
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals("abc", "abc"))
        #expect(!ConstantTime.equals("abc", "abd") && !ConstantTime.equals("abc", "abcd"))
    }
}
