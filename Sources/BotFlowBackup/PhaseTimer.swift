import BotFlowCore
import Logging

/// Wall time of each step of a long operation, for the log line that tells where a slow backup spent its time.
struct PhaseTimer {
    private var last = monotonicSeconds()
    private(set) var phases: [(name: String, ms: Int)] = []

    mutating func lap(_ name: String) {
        let now = monotonicSeconds()
        phases.append((name, Int((now - last) * 1000)))
        last = now
    }

    var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        for phase in phases { metadata["\(phase.name)_ms"] = "\(phase.ms)" }
        return metadata
    }
}
