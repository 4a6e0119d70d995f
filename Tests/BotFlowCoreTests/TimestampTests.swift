import BotFlowCore
import Testing

@Suite struct TimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(1_768_645_353_123), "2026-01-17T10:22:33.123Z"),
        (Int64(951_782_400_000), "2000-02-29T00:00:00.000Z"),
        (Int64(-1), "1969-12-31T23:59:59.999Z"),
        (Int64(4_102_444_799_999), "2099-12-31T23:59:59.999Z"),
    ])
    func formatsAndParsesRoundTrip(_ ms: Int64, _ text: String) {
        #expect(Timestamp.format(epochMilliseconds: ms) == text)
        #expect(Timestamp.parse(text) == ms)
    }

    @Test func textOrderIsTimeOrder() {
        var previous = ""
        for ms in stride(from: Int64(1_700_000_000_000), to: 1_700_000_000_000 + 86_400_000 * 400, by: 7_777_777) {
            let text = Timestamp.format(epochMilliseconds: ms)
            #expect(text.count == 24)
            #expect(text > previous)
            previous = text
        }
    }

    @Test func rejectsMalformed() {
        for bad in ["2026-13-01T00:00:00.000Z", "2026-01-17 10:22:33.123Z", "2026-01-17T10:22:33.123", "yesterday"] {
            #expect(Timestamp.parse(bad) == nil)
        }
        #expect(Timestamp.parseDate("2026-01-17") == Timestamp.parse("2026-01-17T00:00:00.000Z"))
    }
}
