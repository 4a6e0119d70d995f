import BotFlowCore
import Synchronization

/// A clock tests move by hand (token expiry, TTLs, schedules).
public final class ManualClock: AppClock {
    private let ms: Atomic<Int64>

    public init(epochMilliseconds: Int64 = 1_768_645_353_123) {
        ms = Atomic(epochMilliseconds)
    }

    public func nowMilliseconds() -> Int64 { ms.load(ordering: .relaxed) }

    public func advance(seconds: Int64) { ms.add(seconds * 1000, ordering: .relaxed) }
    public func advance(milliseconds: Int64) { ms.add(milliseconds, ordering: .relaxed) }
}
