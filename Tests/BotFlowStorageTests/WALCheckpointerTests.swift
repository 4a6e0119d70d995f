import BotFlowCore
import BotFlowStorage
import Foundation
import GRDB
import Testing

/// The background WAL checkpointer: committed pages reach the main database file without the writer checkpointing
/// (its automatic checkpoint only starts at 4 000 WAL pages, far above what this test writes). The checkpointer's
/// connection opens once the WAL has reached 4 MB.
@Suite struct WALCheckpointerTests {
    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    @Test func committedPagesAreCopiedIntoTheMainFileInTheBackground() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("botflow-wal-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/botflow.sqlite"
        let database = try AppDatabase(path: path)
        try await database.write { db in try db.execute(sql: "CREATE TABLE wal_test (id INTEGER PRIMARY KEY, body BLOB NOT NULL)") }
        // Let the checkpoint of the migrations settle before taking the baseline.
        try await Task.sleep(for: .milliseconds(200))
        let before = fileSize(path)

        // ~6 MB over 192 commits (about 1 600 WAL pages).
        for batch in 0..<192 {
            try await database.write { db in
                for i in 0..<8 {
                    try db.execute(sql: "INSERT INTO wal_test (id, body) VALUES (?, zeroblob(4000))", arguments: [batch * 8 + i])
                }
            }
        }
        var after = fileSize(path)
        for _ in 0..<200 where after < before + 5_000_000 {
            try await Task.sleep(for: .milliseconds(25))
            after = fileSize(path)
        }
        #expect(after >= before + 5_000_000, "main file \(before) → \(after) bytes: the pages were not checkpointed")
        #expect(try await database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM wal_test") } == 1_536)

        // Shutdown (and a restore's file swap) truncates the WAL right after a burst of writes, while the checkpointer
        // is most likely still copying them: SQLite refuses a second concurrent checkpoint without waiting, so
        // `checkpoint()` must stop the background one first.
        for batch in 192..<384 {
            try await database.write { db in
                for i in 0..<8 {
                    try db.execute(sql: "INSERT INTO wal_test (id, body) VALUES (?, zeroblob(4000))", arguments: [batch * 8 + i])
                }
            }
        }
        try database.checkpoint()
        #expect(fileSize(path + "-wal") == 0)
        try database.close()
        #expect(fileSize(path + "-wal") == 0)
    }
}
