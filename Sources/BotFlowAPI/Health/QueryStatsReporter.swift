import BotFlowStorage
import Logging
import ServiceLifecycle

/// Every 60 s, the five slowest statement shapes at `debug` level (behaviour §11.4).
struct QueryStatsReporter: Service {
    let stats: QueryStats
    let logger: Logger
    var interval: Duration = .seconds(60)

    func run() async throws {
        while !Task.isCancelled {
            do { try await cancelOnGracefulShutdown { try await Task.sleep(for: interval) } } catch { return }
            if Task.isShuttingDownGracefully { return }
            for (rank, entry) in stats.slowest(5).enumerated() {
                logger.debug("query shape", metadata: [
                    "rank": "\(rank + 1)", "sql_shape": "\(entry.shape)", "count": "\(entry.stats.count)",
                    "avg_ms": "\((entry.stats.avgMs * 100).rounded() / 100)", "max_ms": "\((entry.stats.maxMs * 100).rounded() / 100)",
                ])
            }
        }
    }
}
