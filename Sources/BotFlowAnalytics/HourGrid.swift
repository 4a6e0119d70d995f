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

    /// `YYYY-MM-DDTHH` — the prefix of every timestamp inside the hour; what the SQL groups by.
    public static func key(_ hourStart: Int64) -> String { String(Timestamp.format(epochMilliseconds: hourStart).prefix(13)) }

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { ((a % b) + b) % b }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// AN2 label `hh:mm AM` (two-digit 12-hour clock): `09:00 AM`, `12:00 PM`.
    public static func clockLabel(_ hourStart: Int64) -> String {
        let (h12, suffix) = twelveHour(hourStart)
        return (h12 < 10 ? "0" : "") + "\(h12):00 \(suffix)"
    }

    /// AN3 label `MMM d, h a`: `Jan 7, 9 AM`, `Jan 17, 12 PM`.
    public static func dayHourLabel(_ hourStart: Int64) -> String {
        let text = Timestamp.format(epochMilliseconds: hourStart)
        let month = Int(text.dropFirst(5).prefix(2))!
        let day = Int(text.dropFirst(8).prefix(2))!
        let (h12, suffix) = twelveHour(hourStart)
        return "\(months[month - 1]) \(day), \(h12) \(suffix)"
    }

    static func twelveHour(_ ms: Int64) -> (Int, String) {
        let hour = Int(floorMod(ms, 86_400_000) / hourMilliseconds)
        return (hour % 12 == 0 ? 12 : hour % 12, hour < 12 ? "AM" : "PM")
    }
}
