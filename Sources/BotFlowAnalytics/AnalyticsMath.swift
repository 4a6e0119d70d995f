import BotFlowMessaging

/// The rounding and percentile rules of behaviour §10.1.
public enum AnalyticsMath {
    /// round(x): half away from zero.
    public static func round(_ x: Double) -> Int { Int(x.rounded(.toNearestOrAwayFromZero)) }

    /// round(x, d): half away from zero to `d` decimals.
    public static func round(_ x: Double, _ decimals: Int) -> Double {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        return (x * scale).rounded(.toNearestOrAwayFromZero) / scale
    }

    /// round(mean) of integers; nil when empty.
    public static func roundedMean(_ values: [Int]) -> Int? {
        values.isEmpty ? nil : round(Double(values.reduce(0, +)) / Double(values.count))
    }

    /// Nearest-rank percentile of unsorted values; 0 when empty.
    public static func percentile(sorted values: [Int], _ p: Double) -> Int { Percentile.nearestRank(values, p) ?? 0 }

    /// 100 × part ÷ whole rounded to 2 decimals; 0 when the denominator is 0.
    public static func rate(_ part: Int, _ whole: Int) -> Double { whole == 0 ? 0 : round(100 * Double(part) / Double(whole), 2) }

    /// Tokens → USD at `costPer1K` (unrounded).
    public static func cost(tokens: Int, costPer1K: Double) -> Double { Double(tokens) / 1000 * costPer1K }
}
