import Foundation
import Testing

/// The real `botflow serve` binary: first start on an empty data directory, data surviving a restart, graceful stop.
@Suite(.serialized) struct ServeCommandTests {
    @Test func firstStartServesRestartsAndStopsGracefully() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("botflow-e2e-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dataDir) }

        let first = ServerProcess(dataDirectory: dataDir + "/nested/data")
        try await first.start()
        let (healthStatus, health) = try await first.request("GET", "/health")
        #expect(healthStatus == 200)
        #expect(String(decoding: health, as: UTF8.self).contains(#""status":"ok""#))
        let (signupStatus, signup) = try await first.request("POST", "/api/auth/signup", json: """
            {"email":"owner@example.com","password":"password123","fullName":"Owner One","organizationName":"Shop One"}
            """)
        #expect(signupStatus == 200)
        let token = try #require(try JSONSerialization.jsonObject(with: signup) as? [String: Any])["token"] as? String
        let attrs = try FileManager.default.attributesOfItem(atPath: dataDir + "/nested/data")
        #expect((attrs[.posixPermissions] as? Int) == 0o700)
        #expect(first.stop() == 0)
        // A graceful stop checkpoints the WAL into the main file.
        let wal = (try? FileManager.default.attributesOfItem(atPath: dataDir + "/nested/data/botflow.sqlite-wal")[.size] as? Int) ?? 0
        #expect(wal == 0)

        // Restart on the same directory: same secrets (the token still works), same data, nothing re-seeded twice.
        let second = ServerProcess(dataDirectory: dataDir + "/nested/data")
        try await second.start()
        let (meStatus, _) = try await second.request("GET", "/api/auth/me", token: token)
        #expect(meStatus == 200)
        let (_, templates) = try await second.request("GET", "/api/templates")
        let list = try #require(try JSONSerialization.jsonObject(with: templates) as? [String: Any])["templates"] as? [Any]
        #expect(list?.count == 20)
        #expect(second.stop(signal: SIGINT) == 0)
    }

    @Test func refusesBadConfigurationWithMessageAndNonZeroExit() async throws {
        let server = ServerProcess(environment: ["JWT_SECRET": "too-short"])
        await #expect(throws: ServerError.self) { try await server.start(timeout: 15) }
        let child = try #require(server.child)
        child.wait()
        #expect(child.terminationStatus != 0)
        #expect(child.terminationStatus != nil)
    }
}
