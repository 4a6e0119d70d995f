#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ISO-8601 UTC timestamps with exactly three fractional digits (`2026-01-17T10:22:33.123Z`).
///
/// The fixed width makes text order equal time order, which the schema and the cursors rely on. Formatting is done
/// by hand (no DateFormatter): it runs on every write and every serialised row.
public enum Timestamp {
    /// Milliseconds since the Unix epoch → `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public static func format(epochMilliseconds ms: Int64) -> String {
        let days = floorDiv(ms, 86_400_000)
        let msOfDay = ms - days * 86_400_000
        let (y, m, d) = civilFromDays(days)
        let h = msOfDay / 3_600_000
        let mi = (msOfDay / 60_000) % 60
        let s = (msOfDay / 1000) % 60
        let f = msOfDay % 1000
        var out = [UInt8]()
        out.reserveCapacity(24)
        append(&out, y, width: 4); out.append(UInt8(ascii: "-"))
        append(&out, m, width: 2); out.append(UInt8(ascii: "-"))
        append(&out, d, width: 2); out.append(UInt8(ascii: "T"))
        append(&out, h, width: 2); out.append(UInt8(ascii: ":"))
        append(&out, mi, width: 2); out.append(UInt8(ascii: ":"))
        append(&out, s, width: 2); out.append(UInt8(ascii: "."))
        append(&out, f, width: 3); out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `YYYY-MM-DD` of the UTC day containing `ms`.
    public static func date(epochMilliseconds ms: Int64) -> String {
        String(format(epochMilliseconds: ms).prefix(10))
    }

    /// Parses the canonical form (and tolerates missing milliseconds); nil when malformed.
    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 24 || b.count == 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b.last == UInt8(ascii: "Z")
        else { return nil }
        func num(_ r: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for i in r {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) else { return nil }
                v = v * 10 + Int64(b[i] - UInt8(ascii: "0"))
            }
            return v
        }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13),
            let mi = num(14..<16), let s = num(17..<19), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61
        else { return nil }
        var ms: Int64 = 0
        if b.count == 24 {
            guard b[19] == UInt8(ascii: "."), let f = num(20..<23) else { return nil }
            ms = f
        }
        return (daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s) * 1000 + ms
    }

    /// Parses `YYYY-MM-DD` into the epoch milliseconds of that day's midnight UTC.
    public static func parseDate(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 10 else { return nil }
        return parse(text + "T00:00:00.000Z")
    }

    // Howard Hinnant's civil calendar algorithms (proleptic Gregorian).
    static func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    static func append(_ out: inout [UInt8], _ value: Int64, width: Int) {
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
        var v = value
        var i = width - 1
        while i >= 0 {
            digits[i] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
            i -= 1
        }
        out.append(contentsOf: digits)
    }
}

/// The source of "now" for everything that stores or compares time; tests inject a fixed or stepping clock.
public protocol AppClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func nowMilliseconds() -> Int64
}

extension AppClock {
    public func now() -> String { Timestamp.format(epochMilliseconds: nowMilliseconds()) }
    public func nowSeconds() -> Int64 { nowMilliseconds() / 1000 }
}

public struct SystemClock: AppClock {
    public init() {}
    public func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// Monotonic seconds for durations and uptime (never goes backwards when the wall clock is adjusted).
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
