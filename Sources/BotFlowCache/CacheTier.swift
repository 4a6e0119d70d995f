/// The five tiers of behaviour §3.2: they share one LRU budget and differ only by time to live.
public enum CacheTier: String, Sendable, CaseIterable {
    case REALTIME, HOT, WARM, COLD, TEMPLATE

    public var ttlSeconds: Int64 {
        switch self {
        case .REALTIME: 60
        case .HOT: 300
        case .WARM: 3_600
        case .COLD: 86_400
        case .TEMPLATE: 604_800
        }
    }
}
