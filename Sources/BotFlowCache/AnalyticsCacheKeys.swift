/// The analytics rows of the key table (behaviour §3.3); all under `analytics:{orgId}:`, which every message,
/// conversation, status change and rollup of the organization deletes (§3.4).
extension CacheKeys {
    public static func analyticsRealtime(org: String) -> String { analytics(org: org, "realtime") }
    public static func analyticsResponseTimes(org: String, period: String) -> String { analytics(org: org, "response-times:\(period)") }
    public static func analyticsMessageVolume(org: String, period: String) -> String { analytics(org: org, "message-volume:\(period)") }
    public static func analyticsPercentiles(org: String, bot: String) -> String { analytics(org: org, "percentiles:\(bot)") }
    public static func analyticsPerformance(org: String, bot: String, start: String, end: String) -> String {
        analytics(org: org, "performance:\(bot):\(start):\(end)")
    }
}
