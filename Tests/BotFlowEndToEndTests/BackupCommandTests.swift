import BotFlowTestSupport
import Foundation
import GRDB
import Testing

/// `botflow backup …` (behaviour §13.8) on the real binary: exit codes, output, and the server's data directory lock.
@Suite(.serialized) struct BackupCommandTests {
    static let environment = ["BACKUP_KDF_ITERATIONS": "10000"]

    @Test func createListVerifyRestoreAndPruneFromTheCommandLine() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("botflow-e2e-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dataDir) }

        // A server makes the data (one user), and stops.
        let first = ServerProcess(dataDirectory: dataDir, environment: Self.environment)
        try await first.start()
        #expect(try await first.request("POST", "/api/auth/signup", json: #"""
            {"email":"first@example.com","password":"password123","fullName":"First","organizationName":"Shop One"}
            """#).0 == 200)
        #expect(first.stop() == 0)

        let create = try botflow(["backup", "create", "--data-dir", dataDir])
        #expect(create.status == 0, "\(create.stderr)")
        let name = create.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(name.range(of: #"^botflow_backup_\d{8}_\d{6}\.db\.gz\.enc$"#, options: .regularExpression) != nil, "\(name)")

        let list = try botflow(["backup", "list", "--data-dir", dataDir])
        #expect(list.status == 0)
        #expect(list.stdout.contains(name) && list.stdout.contains("manual"))

        let verify = try botflow(["backup", "verify", "--data-dir", dataDir, name])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("\(name): OK"))

        // More data after the backup; restore refuses while a server runs on the directory.
        let second = ServerProcess(dataDirectory: dataDir, environment: Self.environment)
        try await second.start()
        #expect(try await second.request("POST", "/api/auth/signup", json: #"""
            {"email":"second@example.com","password":"password123","fullName":"Second","organizationName":"Shop Two"}
            """#).0 == 200)
        let refused = try botflow(["backup", "restore", "--data-dir", dataDir, name, "--yes"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("server is running"), "\(refused.stderr)")
        #expect(second.stop() == 0)
        #expect(try users(dataDir) == ["first@example.com", "second@example.com"])

        // Without --yes, anything but "yes" cancels.
        let cancelled = try botflow(["backup", "restore", "--data-dir", dataDir, name], input: "no\n")
        #expect(cancelled.status == 1)
        #expect(try users(dataDir).count == 2)

        let restore = try botflow(["backup", "restore", "--data-dir", dataDir, name, "--yes"])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(restore.stdout.contains("pre_restore_backup_"))
        #expect(try users(dataDir) == ["first@example.com"])

        // Failures exit 1, usage errors exit 2.
        #expect(try botflow(["backup", "verify", "--data-dir", dataDir, "botflow_backup_20200101_000000.db.gz.enc"]).status == 1)
        #expect(try botflow(["backup", "restore", "--data-dir", dataDir, "nope", "--yes"]).status == 1)
        #expect(try botflow(["backup", "verify", "--data-dir", dataDir]).status == 2)
        #expect(try botflow(["backup", "explode", "--data-dir", dataDir]).status == 2)
        let path = dataDir + "/backups/" + name
        var bytes = Array(FileManager.default.contents(atPath: path)!)
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let damaged = try botflow(["backup", "verify", "--data-dir", dataDir, name])
        #expect(damaged.status == 1)
        #expect(damaged.stdout.contains("checksum: FAILED"))

        let prune = try botflow(["backup", "prune", "--data-dir", dataDir, "--dry-run"])
        #expect(prune.status == 0)
        #expect(prune.stdout.contains("kept 2"))

        // The cron wrapper.
        let script = URL(fileURLWithPath: ServerProcess.binary).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/backup-database.sh").path
        try await Task.sleep(for: .milliseconds(1100))
        let wrapped = try run("/bin/bash", [script, "--prune"], environment: ["BOTFLOW_BIN": ServerProcess.binary, "BOTFLOW_DATA_DIR": dataDir])
        #expect(wrapped.status == 0, "\(wrapped.stderr)")
        #expect(wrapped.stdout.contains("botflow_backup_") && wrapped.stdout.contains("kept 3"), "\(wrapped.stdout)")
    }

    func users(_ dataDir: String) throws -> [String] {
        let queue = try DatabaseQueue(path: dataDir + "/botflow.sqlite")
        defer { try? queue.close() }
        return try queue.read { db in try String.fetchAll(db, sql: "SELECT email FROM users ORDER BY email") }
    }

    func botflow(_ arguments: [String], input: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        try run(ServerProcess.binary, arguments, environment: Self.environment, input: input)
    }

    func run(_ executable: String, _ arguments: [String], environment: [String: String], input: String? = nil) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        let child = try ChildProcess(executable: executable, arguments: arguments, environment: env,
                                     stdin: stdin.fileHandleForReading.fileDescriptor, stdout: out.fileHandleForWriting.fileDescriptor,
                                     stderr: err.fileHandleForWriting.fileDescriptor)
        // The child holds its own copies; closing ours lets the reads below end when it exits.
        try stdin.fileHandleForReading.close()
        try out.fileHandleForWriting.close()
        try err.fileHandleForWriting.close()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        child.wait()
        return (child.terminationStatus ?? -1, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
