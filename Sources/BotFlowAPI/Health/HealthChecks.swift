import BotFlowCache
import BotFlowCore
import BotFlowJobs
import BotFlowObservability
import BotFlowStorage
import Foundation
import GRDB

/// The checks of behaviour §11.1, each a plain boolean.
struct HealthChecks: Sendable {
    let database: AppDatabase
    let cache: ResponseCache
    let jobs: JobRunner
    let dataDirectory: String

    struct Report: Sendable { var database, redis, memory, disk, queue: Bool; var databaseError: String? }

    func run() async -> Report {
        let db = await databaseCheck()
        return Report(database: db == nil, redis: cache.probe(), memory: memoryOK(), disk: diskOK(), queue: queueOK(), databaseError: db)
    }

    /// nil when a read of `organizations` succeeds within 1 000 ms, else the failure.
    func databaseCheck() async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    _ = try await database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM organizations LIMIT 1)") }
                    return nil
                } catch {
                    return "\(error)"
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(1000))
                return "timed out after 1000 ms"
            }
            let first = await group.next() ?? "no result"
            group.cancelAll()
            return first
        }
    }

    /// Resident set below 90 % of the memory limit.
    func memoryOK() -> Bool { Double(ProcessFigures.residentBytes()) < 0.9 * Double(ProcessFigures.memoryLimit()) }

    /// Free space ≥ max(100 MiB, 5 % of the volume).
    func diskOK() -> Bool {
        guard let disk = ProcessFigures.disk(at: dataDirectory) else { return false }
        return disk.free >= max(100 * 1_048_576, disk.total / 20)
    }

    /// The job scheduler's loop ran within the last 30 s.
    func queueOK() -> Bool {
        let beat = jobs.heartbeat.load(ordering: .relaxed)
        return beat > 0 && Int64(monotonicSeconds()) - beat < 30
    }
}
