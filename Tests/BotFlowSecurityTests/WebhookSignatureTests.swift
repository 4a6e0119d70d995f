import BotFlowSecurity
import Testing

@Suite struct WebhookSignatureTests {
    // Twilio's documented example (https://www.twilio.com/docs/usage/security#validating-requests).
    static let twilioURL = "https://mycompany.com/myapp.php?foo=1&bar=2"
    static let twilioParams: [(String, String)] = [
        ("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
        ("From", "+12349013030"), ("To", "+18005551212"),
    ]
    static let twilioExpected = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="

    @Test func twilioDocumentedExample() {
        #expect(WebhookSignatures.twilioSignature(authToken: "12345", url: Self.twilioURL, parameters: Self.twilioParams)
            == Self.twilioExpected)
    }

    @Test func twilioSortsParametersByName() {
        // Arrival order must not matter: the signature sorts by name.
        let shuffled = Array(Self.twilioParams.reversed())
        #expect(WebhookSignatures.twilioSignature(authToken: "12345", url: Self.twilioURL, parameters: shuffled) == Self.twilioExpected)
        // Byte order: upper-case letters sort before lower-case ones ("Zeta" < "alpha").
        let a = WebhookSignatures.twilioSignature(authToken: "t", url: "u", parameters: [("alpha", "1"), ("Zeta", "2")])
        let b = WebhookSignatures.twilioSignature(authToken: "t", url: "u", parameters: [("Zeta", "2"), ("alpha", "1")])
        #expect(a == b)
    }

    @Test func twilioVerify() {
        let verify = { (token: String, url: String, params: [(String, String)], header: String?) in
            WebhookSignatures.verifyTwilio(authToken: token, url: url, parameters: params, header: header)
        }
        #expect(verify("12345", Self.twilioURL, Self.twilioParams, Self.twilioExpected))
        #expect(!verify("12345", Self.twilioURL, Self.twilioParams, nil))
        #expect(!verify("12345", Self.twilioURL, Self.twilioParams, ""))
        #expect(!verify("54321", Self.twilioURL, Self.twilioParams, Self.twilioExpected))           // other token
        #expect(!verify("12345", "https://mycompany.com/myapp.php", Self.twilioParams, Self.twilioExpected))  // query is signed
        #expect(!verify("12345", Self.twilioURL, Self.twilioParams + [("Body", "x")], Self.twilioExpected))   // extra param
        #expect(!verify("12345", Self.twilioURL, Self.twilioParams, "0/KCTR6DLpKmkAf8muzZqo1nDgQ"))  // truncated
    }

    // RFC 4231 test case 2.
    static let rfcBody = Array("what do ya want for nothing?".utf8)
    static let rfcHex = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

    @Test func hmacSHA256HexMatchesRFC4231() {
        #expect(WebhookSignatures.hmacSHA256Hex(secret: "Jefe", body: Self.rfcBody) == Self.rfcHex)
    }

    @Test func metaValidSignature() {
        #expect(WebhookSignatures.verifyMeta(body: Self.rfcBody, header: "sha256=" + Self.rfcHex, secrets: ["Jefe"]))
    }

    @Test func metaForgedSignature() {
        var forged = Array(Self.rfcHex)
        forged[10] = forged[10] == "0" ? "1" : "0"
        #expect(!WebhookSignatures.verifyMeta(body: Self.rfcBody, header: "sha256=" + String(forged), secrets: ["Jefe"]))
        // A tampered body under the right header.
        #expect(!WebhookSignatures.verifyMeta(body: Self.rfcBody + [0x20], header: "sha256=" + Self.rfcHex, secrets: ["Jefe"]))
        #expect(!WebhookSignatures.verifyMeta(body: Self.rfcBody, header: "sha256=" + Self.rfcHex, secrets: ["other"]))
    }

    @Test func metaMissingOrMalformedHeader() {
        let verify = { (header: String?) in WebhookSignatures.verifyMeta(body: Self.rfcBody, header: header, secrets: ["Jefe"]) }
        #expect(!verify(nil))
        #expect(!verify(""))
        #expect(!verify(Self.rfcHex))                          // no `sha256=` prefix
        #expect(!verify("sha1=" + Self.rfcHex))
        #expect(!verify("sha256="))
        #expect(!verify("sha256=" + String(Self.rfcHex.dropLast(2))))  // wrong length
        #expect(!verify("sha256=" + Self.rfcHex + "00"))
        #expect(!verify("sha256=" + String(repeating: "zz", count: 32)))  // not hex
    }

    @Test func metaAnyCandidateSecretMayMatch() {
        #expect(WebhookSignatures.verifyMeta(body: Self.rfcBody, header: "sha256=" + Self.rfcHex, secrets: ["global-secret", "Jefe"]))
        // Empty candidates never match, even against an HMAC keyed with the empty string.
        let emptyKeyed = WebhookSignatures.hmacSHA256Hex(secret: "", body: Self.rfcBody)
        #expect(!WebhookSignatures.verifyMeta(body: Self.rfcBody, header: "sha256=" + emptyKeyed, secrets: ["", "x"]))
        #expect(!WebhookSignatures.verifyMeta(body: Self.rfcBody, header: "sha256=" + Self.rfcHex, secrets: []))
    }

    @Test func knowledgeCallbackSignature() {
        #expect(WebhookSignatures.verifyHMACSHA256Hex(secret: "Jefe", body: Self.rfcBody, header: Self.rfcHex))
        #expect(!WebhookSignatures.verifyHMACSHA256Hex(secret: "Jefe", body: Self.rfcBody, header: nil))
        #expect(!WebhookSignatures.verifyHMACSHA256Hex(secret: "Jefe", body: Self.rfcBody, header: "sha256=" + Self.rfcHex))
        #expect(!WebhookSignatures.verifyHMACSHA256Hex(secret: "", body: Self.rfcBody,
                                                       header: WebhookSignatures.hmacSHA256Hex(secret: "", body: Self.rfcBody)))
    }
}
