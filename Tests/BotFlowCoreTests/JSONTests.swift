import BotFlowCore
import Testing

@Suite struct JSONTests {
    @Test func parsesAndKeepsObjectKeyOrder() throws {
        let json = try JSONParser.parse(#"{"zeta":1,"alpha":{"b":true,"a":null},"mid":[1.5,"x",-0,1e3]}"#)
        #expect(Array(json.objectValue!.keys) == ["zeta", "alpha", "mid"])
        #expect(Array(json["alpha"].objectValue!.keys) == ["b", "a"])
        #expect(json["mid"] == [1.5, "x", 0, 1000.0])
        #expect(JSONWriter.string(json) == #"{"zeta":1,"alpha":{"b":true,"a":null},"mid":[1.5,"x",0,1000]}"#)
    }

    @Test func duplicateKeysKeepTheLastValue() throws {
        #expect(try JSONParser.parse(#"{"a":1,"a":2}"#) == ["a": 2])
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":}", "{'a':1}", "01", "1.", ".5", "+1", "tru", "\"\\x\"", "\"a", "[1] x", "{\"a\" 1}",
        "\"\u{01}\"", "\"\\ud800\"", "NaN", "1e999",
    ])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(text) }
    }

    @Test func rejectsHostileNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(deep) }
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let json = try JSONParser.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude95""#)
        #expect(json == .string("a\"b\\c/d\n\té🚕"))
    }

    @Test func writesStringsLikeJavaScript() {
        #expect(JSONWriter.string("a\"b\\c\n\u{01}é🚕/") == #""a\"b\\c\n\u0001é🚕/""#)
    }

    @Test(arguments: [(12.0, "12"), (0.5, "0.5"), (0.7, "0.7"), (-3.25, "-3.25"), (1e-7, "1e-7"), (1e21, "1e+21"), (123456789.5, "123456789.5")])
    func formatsNumbersInShortestForm(_ value: Double, _ text: String) {
        #expect(JSONWriter.formatNumber(value) == text)
    }

    @Test func integersStayExact() throws {
        #expect(try JSONParser.parse("9007199254740993") == .int(9_007_199_254_740_993))
        #expect(JSON.double(3.0).integerValue == 3)
        #expect(JSON.double(3.5).integerValue == nil)
    }
}
