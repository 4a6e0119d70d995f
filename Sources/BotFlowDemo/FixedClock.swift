import BotFlowCore

/// A clock the seeder moves by hand, so rows made through the domain services get replayable timestamps.
final class FixedClock: AppClock {
    private let value: LockedValue<Int64>
    init(_ milliseconds: Int64) { value = LockedValue(milliseconds) }
    func nowMilliseconds() -> Int64 { value.withLock { $0 } }
    func set(_ milliseconds: Int64) { value.withLock { $0 = milliseconds } }
}
