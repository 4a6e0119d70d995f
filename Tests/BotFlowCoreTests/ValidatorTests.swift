import BotFlowCore
import Testing

@Suite struct ValidatorTests {
    @Test func reportsEveryIssueInFieldOrderWithPathsAndCodes() {
        var v = Validator(["name": "", "age": "x", "nested": ["deep": 5]])
        v.string("email", required: true)
        v.string("name", min: 1)
        v.number("age")
        v.nested("nested") { n in n.string("deep") }
        #expect(v.issues.map(\.code) == [.required, .too_small, .invalid_type, .invalid_type])
        #expect(v.issues.map(\.path) == [["email"], ["name"], ["age"], ["nested", "deep"]])
        #expect(v.issues[0].message == "Required")
        #expect(v.issues[1].message == "String must contain at least 1 character(s)")
    }

    @Test func lengthsCountUnicodeScalars() {
        var v = Validator(["s": "🚕🚕🚕"])
        #expect(v.string("s", max: 3) == "🚕🚕🚕")
        var w = Validator(["s": "🚕🚕🚕🚕"])
        #expect(w.string("s", max: 3) == nil)
        #expect(w.issues.first?.code == .too_big)
    }

    @Test func nonObjectBodyIsOneIssueAtTheRoot() {
        let v = Validator([1, 2])
        #expect(v.issues.count == 1)
        #expect(v.issues[0].path.isEmpty)
    }

    @Test func formats() {
        #expect(Formats.isEmail("thandi@capeshuttle.co.za"))
        for bad in ["a@b", "@b.co", "a@.co", "a b@c.co", "a@@b.co", "a..b@c.co", "a@b.c0"] { #expect(!Formats.isEmail(bad), "\(bad)") }
        #expect(Formats.isE164("+27821234567"))
        for bad in ["27821234567", "+0821234567", "+2782", "+2782123456789012"] { #expect(!Formats.isE164(bad)) }
        #expect(Formats.isSlug("cape-shuttle-co") && !Formats.isSlug("Cape") && !Formats.isSlug("a--b") && !Formats.isSlug("-a"))
        #expect(Identifiers.isUUID("3B2F6C1E-8D4A-4F0B-9C6E-2A7D5E1F9B03") && !Identifiers.isUUID("3b2f6c1e8d4a4f0b9c6e2a7d5e1f9b03"))
    }

    @Test func legacyBotIdFormat() {
        let id = Identifiers.legacyBotId(epochMilliseconds: 1_768_645_353_123)
        #expect(id.hasPrefix("bot_1768645353123_"))
        let suffix = id.dropFirst("bot_1768645353123_".count)
        #expect(suffix.count == 9 && suffix.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) })
    }
}
