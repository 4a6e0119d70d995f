import BotFlowCore
import BotFlowDomain
import BotFlowTestSupport
import Foundation
import GRDB
import Testing

/// The identity cache behind `AuthMiddleware` (issue 10): a repeated token skips verification and the user read,
/// but never outlives what it was derived from — membership, the user row, the token's expiry, a restore.
@Suite struct IdentityCacheTests {
    @Test func aRepeatedTokenIsAnsweredFromTheCache() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let account = try await client.signup()
            #expect(app.deps.domain.identities.count == 0)
            #expect(try await client.call(.get, "/api/bots", token: account.token).status == 200)
            #expect(app.deps.domain.identities.count == 1)
            #expect(try await client.call(.get, "/api/bots", token: account.token).status == 200)
            #expect(app.deps.domain.identities.count == 1)
        }
    }

    /// A commit to `organization_members` through any code path reaches the next request: no stale role.
    @Test func endingAMembershipIsSeenByTheNextRequest() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let account = try await client.signup()
            #expect(try await client.call(.get, "/api/bots", token: account.token).status == 200)
            try await app.database.write { db in
                try db.execute(sql: "DELETE FROM organization_members WHERE user_id = ?", arguments: [account.userId])
            }
            let after = try await client.call(.get, "/api/bots", token: account.token)
            #expect(after.status == 403)
            #expect(after.json["message"] == "Not a member of this organization")
        }
    }

    @Test func becomingAdminIsSeenByTheNextRequest() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            _ = try await client.signup(email: "first@example.com") // the first user is the appliance admin
            let second = try await client.signup(email: "second@example.com")
            #expect(try await client.call(.get, "/api/admin/errors", token: second.token).status == 403)
            try await app.database.write { db in
                try db.execute(sql: "UPDATE users SET is_admin = 1 WHERE id = ?", arguments: [second.userId])
            }
            #expect(try await client.call(.get, "/api/admin/errors", token: second.token).status == 200)
        }
    }

    /// A token that differs from a cached one only in its signature is verified on its own, and rejected.
    @Test func aForgedTwinOfACachedTokenIsRejected() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let account = try await client.signup()
            #expect(try await client.call(.get, "/api/auth/me", token: account.token).status == 200)
            // Not the last character: its low bits are base64 padding, so changing it may decode to the same MAC.
            var forged = Array(account.token)
            let at = forged.count - 10
            forged[at] = forged[at] == "A" ? "g" : "A"
            #expect(try await client.call(.get, "/api/auth/me", token: String(forged)).status == 401)
            #expect(try await client.call(.get, "/api/auth/me", token: account.token).status == 200)
        }
    }

    /// The backstop for changes made outside this process (another `botflow` command on the same file).
    @Test func entriesExpireAfterTheirTimeToLive() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        try await app.test { client in
            let account = try await client.signup()
            #expect(try await client.call(.get, "/api/bots", token: account.token).status == 200)
            // A write the observer cannot see: straight to the file through a separate connection.
            let queue = try DatabaseQueue(path: app.database.path)
            try await queue.write { db in
                try db.execute(sql: "DELETE FROM organization_members WHERE user_id = ?", arguments: [account.userId])
            }
            #expect(try await client.call(.get, "/api/bots", token: account.token).status == 200)
            clock.advance(seconds: 31)
            #expect(try await client.call(.get, "/api/bots", token: account.token).status == 403)
        }
    }
}
