import BotFlowCore
import BotFlowObservability
import BotFlowTestSupport
import Logging
import Testing

/// behaviour.md §11.3 (Prometheus exposition), §12 (JSON logs, error log).
@Suite struct ObservabilityTests {
    @Test func prometheusTextParsesWithNamesTypesAndLabels() throws {
        let metrics = AppMetrics()
        metrics.recordRequest(status: 200, seconds: 0.004)
        metrics.recordRequest(status: 201, seconds: 0.3)
        metrics.recordRequest(status: 404, seconds: 0.02)
        metrics.recordRateLimited()
        metrics.setGauge("botflow_uptime_seconds", [], 12.5)
        metrics.setCounterTotal("botflow_cache_hits_total", [("tier", "HOT")], 7)
        metrics.setCounterTotal("botflow_cache_hits_total", [("tier", "HOT")], 9)
        let text = String(decoding: metrics.prometheusText(), as: UTF8.self)
        let samples = try PrometheusText.parse(text)

        #expect(samples.types["botflow_http_requests_total"] == "counter")
        #expect(samples.types["botflow_http_request_duration_seconds"] == "histogram")
        #expect(samples.types["botflow_uptime_seconds"] == "gauge")
        #expect(samples.value("botflow_http_requests_total", ["status_class": "2xx"]) == 2)
        #expect(samples.value("botflow_http_requests_total", ["status_class": "4xx"]) == 1)
        #expect(samples.value("botflow_http_rate_limited_total", [:]) == 1)
        #expect(samples.value("botflow_uptime_seconds", [:]) == 12.5)
        #expect(samples.value("botflow_cache_hits_total", ["tier": "HOT"]) == 9)
        // Histogram: the spec's buckets, cumulative, with +Inf = count.
        let les = samples.lines.filter { $0.name == "botflow_http_request_duration_seconds_bucket" }.compactMap { $0.labels["le"] }
        #expect(les == ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "+Inf"])
        #expect(samples.value("botflow_http_request_duration_seconds_bucket", ["le": "0.005"]) == 1)
        #expect(samples.value("botflow_http_request_duration_seconds_bucket", ["le": "0.025"]) == 2)
        #expect(samples.value("botflow_http_request_duration_seconds_bucket", ["le": "+Inf"]) == 3)
        #expect(samples.value("botflow_http_request_duration_seconds_count", [:]) == 3)
    }

    @Test func httpTalliesFeedTheJSONForm() {
        let metrics = AppMetrics()
        for status in [200, 204, 301, 400, 401, 500, 503] { metrics.recordRequest(status: status, seconds: 0.001) }
        let json = metrics.httpJSON
        #expect(json["requests_total"] == .int(7))
        #expect(json["by_status"] == ["2xx": .int(2), "3xx": .int(1), "4xx": .int(2), "5xx": .int(2)])
        #expect(json["rate_limited_total"] == .int(0))
    }

    @Test func errorLogKeepsTheLastEntriesNewestFirst() {
        let log = ErrorLog(capacity: 3)
        for i in 1...5 { log.record(.init(timestamp: "2026-01-0\(i)T00:00:00.000Z", error: "E\(i)", message: "m", source: "http")) }
        #expect(log.recent(limit: 10).map(\.error) == ["E5", "E4", "E3"])
        #expect(log.recent(limit: 2).map(\.error) == ["E5", "E4"])
        #expect(log.count(since: "2026-01-04T00:00:00.000Z") == 2)
        #expect(log.total == 5)
    }

    @Test func logLinesAreOneJSONObjectEach() throws {
        let lines = LockedValue<[[UInt8]]>([])
        var handler = JSONLogHandler(label: "t", level: .info) { bytes in lines.withLock { $0.append(bytes) } }
        handler[metadataKey: "request_id"] = "req-1"
        let logger = Logger(label: "t") { _ in handler }
        logger.info("request", metadata: ["status": "200", "path": "/api/bots"])
        logger.debug("hidden")
        let captured = lines.withLock { $0 }
        #expect(captured.count == 1)
        #expect(captured[0].last == UInt8(ascii: "\n"))
        let json = try JSONParser.parse(Array(captured[0].dropLast()))
        #expect(json["msg"] == "request" && json["level"] == "info" && json["request_id"] == "req-1")
        #expect(json["status"] == .int(200) && json["path"] == "/api/bots")
        #expect(json["ts"].stringValue.flatMap(Timestamp.parse) != nil)
    }
}

