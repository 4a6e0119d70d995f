import BotFlowCore
import CoreMetrics
import Prometheus

/// The application's metrics (behaviour §11.2–§11.3). Instruments are swift-metrics types backed by a
/// swift-prometheus registry owned by this object (not the process-global bootstrap, so several applications — as in
/// tests — keep separate figures). HTTP counts are also tallied here for the JSON form of `/metrics`.
public final class AppMetrics: Sendable {
    public static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
    ]

    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    private let requestCounters: [String: CoreMetrics.Counter]
    private let requestDuration: CoreMetrics.Timer
    private let rateLimitedCounter: CoreMetrics.Counter
    private let tallies = LockedValue(HTTPTallies())
    /// Values last exposed by the cumulative counters fed from elsewhere (cache, database, error log).
    private let exposed = LockedValue<[String: Int]>([:])

    public struct HTTPTallies: Sendable {
        public var total = 0
        public var byClass: [String: Int] = ["2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0]
        public var rateLimited = 0
    }

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = ["botflow_http_request_duration_seconds": Self.durationBuckets]
        self.factory = factory
        var counters: [String: CoreMetrics.Counter] = [:]
        for statusClass in ["2xx", "3xx", "4xx", "5xx"] {
            counters[statusClass] = Counter(label: "botflow_http_requests_total", dimensions: [("status_class", statusClass)], factory: factory)
        }
        requestCounters = counters
        requestDuration = Timer(label: "botflow_http_request_duration_seconds", dimensions: [], factory: factory)
        rateLimitedCounter = Counter(label: "botflow_http_rate_limited_total", dimensions: [], factory: factory)
    }

    /// One answered request.
    public func recordRequest(status: Int, seconds: Double) {
        let statusClass = "\(min(max(status / 100, 2), 5))xx"
        requestCounters[statusClass]?.increment()
        requestDuration.recordNanoseconds(Int64(seconds * 1_000_000_000))
        tallies.withLock { t in
            t.total += 1
            t.byClass[statusClass, default: 0] += 1
        }
    }

    public func recordRateLimited() {
        rateLimitedCounter.increment()
        tallies.withLock { $0.rateLimited += 1 }
    }

    public var http: HTTPTallies { tallies.withLock { $0 } }

    /// The `http` object of `/metrics` JSON.
    public var httpJSON: JSON {
        let t = http
        return ["requests_total": .int(t.total),
                "by_status": ["2xx": .int(t.byClass["2xx"] ?? 0), "3xx": .int(t.byClass["3xx"] ?? 0), "4xx": .int(t.byClass["4xx"] ?? 0),
                              "5xx": .int(t.byClass["5xx"] ?? 0)],
                "rate_limited_total": .int(t.rateLimited)]
    }

    /// Sets a gauge (created on first use; the factory caches instruments by name and labels).
    public func setGauge(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        Gauge(label: name, dimensions: labels, factory: factory).record(value)
    }

    /// Brings a Prometheus counter up to a running total kept elsewhere (cache hits, queries, errors).
    public func setCounterTotal(_ name: String, _ labels: [(String, String)] = [], _ total: Int) {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let delta = exposed.withLock { seen -> Int in
            let d = total - (seen[key] ?? 0)
            if d > 0 { seen[key] = total }
            return d
        }
        let counter = Counter(label: name, dimensions: labels, factory: factory)
        if delta > 0 { counter.increment(by: Int64(delta)) } else { counter.increment(by: 0) }
    }

    /// The text exposition format, version 0.0.4.
    public func prometheusText() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
