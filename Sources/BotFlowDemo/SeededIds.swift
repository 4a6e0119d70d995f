import BotFlowCore
import Foundation

/// Deterministic values drawn from one SplitMix64 stream: the bulk rows of a plan are the same on every run.
struct SeededSource {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    /// A UUID v4 (version and variant bits set, lower-case, hyphenated) — valid for api.md §1.7, but replayable.
    mutating func uuid() -> String {
        let a = rng.next(), b = rng.next()
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: a >> (8 * UInt64(i))) }
        for i in 0..<8 { bytes[8 + i] = UInt8(truncatingIfNeeded: b >> (8 * UInt64(i))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Uniform in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }

    /// A right-skewed duration (most replies are quick, a few are slow), in `minimum...maximum` milliseconds.
    mutating func skewed(minimum: Int, typical: Int, maximum: Int) -> Int {
        let u = Double.random(in: 0.000_001..<1, using: &rng)
        let value = Double(minimum) + Double(typical - minimum) * (-log(u))
        return min(maximum, Int(value))
    }
}
