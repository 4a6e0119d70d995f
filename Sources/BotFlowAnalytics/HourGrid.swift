import BotFlowCore

/// The hourly grids of AN2/AN3 (behaviour §10.4): N points ending with the current, partial UTC hour, oldest first.
public struct HourGrid: Sendable {
    public enum Period: String, Sendable, CaseIterable {
        case h24 = "24h", d7 = "7d", d30 = "30d"
        public var points: Int { switch self { case .h24: 24; case .d7: 168; case .d30: 720 } }
    }

    public static let hourMilliseconds: Int64 = 3_600_000
    /// Epoch milliseconds of each point's hour start.
    public let hours: [Int64]

    public init(period: Period, nowMilliseconds now: Int64) {
        let current = now - Self.floorMod(now, Self.hourMilliseconds)
        hours = (0..<period.points).map { k in current - Int64(period.points - 1 - k) * Self.hourMilliseconds }
    }

    public var start: Int64 { hours[0] }
    /// The end of the current hour (exclusive).
    public var end: Int64 { hours[hours.count - 1] + Self.hourMilliseconds }

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { ((a % b) + b) % b }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// One grid hour's texts from a single formatting: the ISO timestamp, the grouping key, and the hour of day.
    public struct Hour: Sendable {
        public let timestamp: String
        /// `YYYY-MM-DDTHH` — the prefix of every timestamp inside the hour; what the SQL groups by.
        public var key: Substring { timestamp.prefix(13) }
        let month: Int, day: Int, hourOfDay: Int

        public init(_ hourStart: Int64) {
            timestamp = Timestamp.format(epochMilliseconds: hourStart)
            let u = Array(timestamp.utf8)
            func n(_ i: Int) -> Int { Int(u[i] - 48) * 10 + Int(u[i + 1] - 48) }
            month = n(5); day = n(8); hourOfDay = n(11)
        }

        var twelve: (Int, String) { (hourOfDay % 12 == 0 ? 12 : hourOfDay % 12, hourOfDay < 12 ? "AM" : "PM") }
        /// AN2 `hh:mm AM`.
        public var clockLabel: String { let (h, s) = twelve; return (h < 10 ? "0" : "") + "\(h):00 \(s)" }
        /// AN3 `MMM d, h a`.
        public var dayHourLabel: String { let (h, s) = twelve; return "\(HourGrid.months[month - 1]) \(day), \(h) \(s)" }
    }
}
