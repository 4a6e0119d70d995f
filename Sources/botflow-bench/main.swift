import BotFlowCache
import BotFlowCore
import Foundation

/// Micro-benchmarks run by the `scripts/bench-*` scripts (never by the test suite).
///   botflow-bench cache-ops [entries=10000] [operations=1000000]  — ResponseCache get (hit, miss) and set, ns/op
///   botflow-bench workflow-steps [nodes=199] [runs=2000]          — workflow executor cost per node step, µs
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "cache-ops":
    let entries = arguments.count > 1 ? Int(arguments[1]) ?? 10_000 : 10_000
    let operations = arguments.count > 2 ? Int(arguments[2]) ?? 1_000_000 : 1_000_000
    await CacheOpsBenchmark(entries: entries, operations: operations).run()
case "workflow-steps":
    let nodes = arguments.count > 1 ? Int(arguments[1]) ?? 199 : 199
    let runs = arguments.count > 2 ? Int(arguments[2]) ?? 2000 : 2000
    await WorkflowStepsBenchmark(nodes: nodes, runs: runs).run()
default:
    print("usage: botflow-bench cache-ops [entries] [operations] | workflow-steps [nodes] [runs]")
}

struct CacheOpsBenchmark {
    let entries: Int
    let operations: Int

    func run() async {
        let cache = ResponseCache(maxBytes: 64 << 20, enabled: true, clock: SystemClock())
        let body = Array(String(repeating: "x", count: 1024).utf8)   // a 1 KiB response body
        let keys = (0..<entries).map { "bot:detail:bot_\($0)" }
        // set: distinct keys, replacing as the key space wraps.
        var started = ContinuousClock.now
        for i in 0..<operations { _ = try? await cache.fetch(keys[i % entries] + ":\(i / entries)", tier: .WARM) { body } }
        let setNs = nanoseconds(since: started) / Double(operations)
        for key in keys { _ = try? await cache.fetch(key, tier: .WARM) { body } }
        started = ContinuousClock.now
        var sink = 0
        for i in 0..<operations { sink &+= (try? await cache.fetch(keys[i % entries], tier: .WARM) { [] })?.bytes.count ?? 0 }
        let hitNs = nanoseconds(since: started) / Double(operations)
        let disabled = ResponseCache(maxBytes: 64 << 20, enabled: false, clock: SystemClock())
        started = ContinuousClock.now
        for i in 0..<operations { sink &+= (try? await disabled.fetch(keys[i % entries], tier: .WARM) { body })?.bytes.count ?? 0 }
        let bypassNs = nanoseconds(since: started) / Double(operations)
        let stats = cache.statistics().total
        print("CACHE_OPS entries=\(entries) operations=\(operations) value_bytes=\(body.count)")
        print(String(format: "CACHE_OPS miss_and_set_ns=%.0f hit_ns=%.0f disabled_passthrough_ns=%.0f evictions=%d (sink %d)",
                     setNs, hitNs, bypassNs, stats.evictions, sink % 10))
    }

    func nanoseconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9
    }
}
