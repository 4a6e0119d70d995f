import BotFlowCore
import BotFlowTestSupport
import Foundation
import GRDB
import Testing

/// api.md §1.4 (tenancy and roles), §2.2 and O1–O3.
@Suite struct OrganizationTests {
    // MARK: O1

    @Test func getReturnsOrganizationAndOwnerRole() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let signup = try await client.call(.post, "/api/auth/signup", json: [
                "email": "thandi@example.com", "password": "correct horse battery", "fullName": "Thandi Mokoena",
                "organizationName": "Cape Shuttle Co",
            ])
            let token = try #require(signup.json["token"].stringValue)
            let orgId = try #require(signup.json["organization"]["id"].stringValue)
            let r = try await client.call(.get, "/api/organizations/\(orgId)", token: token)
            #expect(r.status == 200)
            #expect(keys(r.json) == ["organization", "role"])
            #expect(r.json["role"] == "owner")
            #expect(keys(r.json["organization"]) == organizationKeys)
            #expect(r.json["organization"] == signup.json["organization"])
            #expect(r.json["organization"]["slug"] == "cape-shuttle-co")
            #expect(r.json["organization"]["plan"] == "starter")
        }
    }

    @Test func roleReflectsTheMembership() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let owner = try await client.signup(email: "owner@example.com", organization: "Org A")
            let other = try await client.signup(email: "other@example.com", organization: "Org B")
            let token = try await addMember(app, user: other, to: owner.organizationId, role: "member")
            let asMember = try await client.call(.get, "/api/organizations/\(owner.organizationId)", token: token)
            #expect(asMember.status == 200)
            #expect(asMember.json["role"] == "member")
            try await setRole(app, user: other, in: owner.organizationId, role: "admin")
            let asAdmin = try await client.call(.get, "/api/organizations/\(owner.organizationId)", token: token)
            #expect(asAdmin.json["role"] == "admin")
        }
    }

    // MARK: O2

    @Test func patchUpdatesNameAndSlug() async throws {
        let clock = ManualClock()
        let app = try await makeApp(clock: clock)
        try await app.test { client in
            let owner = try await client.signup(organization: "Cape Shuttle Co")
            let path = "/api/organizations/\(owner.organizationId)"
            let before = try await client.call(.get, path, token: owner.token).json["organization"]

            clock.advance(seconds: 60)
            let renamed = try await client.call(.patch, path, json: ["name": "Cape Shuttle Company"], token: owner.token)
            #expect(renamed.status == 200)
            #expect(keys(renamed.json) == ["organization"])
            #expect(keys(renamed.json["organization"]) == organizationKeys)
            #expect(renamed.json["organization"]["name"] == "Cape Shuttle Company")
            #expect(renamed.json["organization"]["slug"] == "cape-shuttle-co")
            #expect(renamed.json["organization"]["updated_at"].stringValue == clock.now())
            #expect(renamed.json["organization"]["created_at"] == before["created_at"])

            clock.advance(seconds: 60)
            let reslugged = try await client.call(.patch, path, json: ["slug": "cape-shuttle-2026"], token: owner.token)
            #expect(reslugged.status == 200)
            #expect(reslugged.json["organization"]["name"] == "Cape Shuttle Company")
            #expect(reslugged.json["organization"]["slug"] == "cape-shuttle-2026")

            let both = try await client.call(.patch, path, json: ["name": "CSC", "slug": "csc"], token: owner.token)
            #expect(both.status == 200)
            #expect(both.json["organization"]["name"] == "CSC")
            #expect(both.json["organization"]["slug"] == "csc")

            // Persisted: O1 and the database agree.
            let fetched = try await client.call(.get, path, token: owner.token)
            #expect(fetched.json["organization"] == both.json["organization"])
            let row = try await app.database.read { db in
                try String.fetchAll(db, sql: "SELECT name || '|' || slug FROM organizations WHERE id = ?", arguments: [owner.organizationId])
            }
            #expect(row == ["CSC|csc"])
        }
    }

    @Test func patchValidatesNameAndSlug() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let owner = try await client.signup(organization: "Cape Shuttle Co")
            let path = "/api/organizations/\(owner.organizationId)"
            let cases: [(JSON, [JSON], [JSON])] = [
                (["name": "C"], [["name"]], ["too_small"]),
                (["name": .string(String(repeating: "n", count: 101))], [["name"]], ["too_big"]),
                (["name": 7], [["name"]], ["invalid_type"]),
                (["name": nil], [["name"]], ["invalid_type"]),
                (["slug": "a"], [["slug"]], ["too_small"]),
                (["slug": .string(String(repeating: "s", count: 101))], [["slug"]], ["too_big"]),
                (["slug": "Cape-Shuttle"], [["slug"]], ["invalid_string"]),
                (["slug": "cape shuttle"], [["slug"]], ["invalid_string"]),
                (["slug": "-cape"], [["slug"]], ["invalid_string"]),
                (["slug": "cape-"], [["slug"]], ["invalid_string"]),
                (["slug": "cape--shuttle"], [["slug"]], ["invalid_string"]),
                (["slug": "cape_shuttle"], [["slug"]], ["invalid_string"]),
                (["slug": "café"], [["slug"]], ["invalid_string"]),
                (["slug": "cape.co"], [["slug"]], ["invalid_string"]),
                (["slug": 12], [["slug"]], ["invalid_type"]),
                (["slug": "Bad Slug", "name": "X"], [["name"], ["slug"]], ["too_small", "invalid_string"]),
            ]
            for (body, paths, codes) in cases {
                let r = try await client.call(.patch, path, json: body, token: owner.token)
                #expect(r.status == 400, "\(body)")
                #expect(r.json["error"] == "Validation error")
                let details = r.json["details"].arrayValue ?? []
                #expect(details.map { $0["path"] } == paths, "\(body)")
                #expect(details.map { $0["code"] } == codes, "\(body)")
                #expect(r.json["message"] == details.first?["message"])
            }
            // Boundaries and pattern shapes that are accepted.
            for slug in ["ab", "a1", "2026", "cape-shuttle-co-2", String(repeating: "s", count: 100)] {
                let r = try await client.call(.patch, path, json: ["slug": .string(slug)], token: owner.token)
                #expect(r.status == 200, "\(slug)")
                #expect(r.json["organization"]["slug"] == .string(slug))
            }
            let name100 = try await client.call(.patch, path, json: ["name": .string(String(repeating: "😀", count: 100))], token: owner.token)
            #expect(name100.status == 200)
        }
    }

    @Test func invalidPatchChangesNothing() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let owner = try await client.signup(organization: "Cape Shuttle Co")
            let path = "/api/organizations/\(owner.organizationId)"
            let before = try await client.call(.get, path, token: owner.token).json["organization"]
            let counts = try await accountRowCounts(app)
            // A valid name with an invalid slug: the name is not applied either.
            let r = try await client.call(.patch, path, json: ["name": "Renamed Co", "slug": "Not A Slug"], token: owner.token)
            #expect(r.status == 400)
            #expect(try await client.call(.get, path, token: owner.token).json["organization"] == before)
            #expect(try await accountRowCounts(app) == counts)
        }
    }

    @Test func slugOfAnotherOrganizationIsAConflict() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let a = try await client.signup(email: "a@example.com", organization: "Org A")
            _ = try await client.signup(email: "b@example.com", organization: "Org B")
            let path = "/api/organizations/\(a.organizationId)"
            let r = try await client.call(.patch, path, json: ["name": "Renamed", "slug": "org-b"], token: a.token)
            #expect(r.status == 409)
            #expect(r.json == ["error": "Slug already in use"])
            // Nothing of the request was applied.
            let org = try await client.call(.get, path, token: a.token).json["organization"]
            #expect(org["name"] == "Org A")
            #expect(org["slug"] == "org-a")
            // Re-sending the organization's own slug is not a conflict.
            let own = try await client.call(.patch, path, json: ["slug": "org-a"], token: a.token)
            #expect(own.status == 200)
            #expect(own.json["organization"]["slug"] == "org-a")
            // A slug freed by a rename can be taken.
            let free = try await client.call(.patch, path, json: ["slug": "org-a-renamed"], token: a.token)
            #expect(free.status == 200)
        }
    }

    @Test func emptyPatchChangesNothing() async throws {
        let clock = ManualClock()
        let app = try await makeApp(clock: clock)
        try await app.test { client in
            let owner = try await client.signup(organization: "Cape Shuttle Co")
            let path = "/api/organizations/\(owner.organizationId)"
            let before = try await client.call(.get, path, token: owner.token).json["organization"]
            clock.advance(seconds: 60)
            let empty = try await client.call(.patch, path, json: [:], token: owner.token)
            #expect(empty.status == 200)
            #expect(empty.json == ["organization": before])
            let noBody = try await client.call(.patch, path, raw: [], token: owner.token)
            #expect(noBody.status == 200)
            #expect(noBody.json == ["organization": before])
            // Keys other than name and slug are ignored.
            let other = try await client.call(.patch, path, json: ["plan": "enterprise", "subscription_status": "canceled", "id": "x"], token: owner.token)
            #expect(other.status == 200)
            #expect(other.json == ["organization": before])
            #expect(try await client.call(.get, path, token: owner.token).json["organization"] == before)
        }
    }

    @Test func onlyOwnersAndAdminsMayPatch() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let owner = try await client.signup(email: "owner@example.com", organization: "Org A")
            let other = try await client.signup(email: "other@example.com", organization: "Org B")
            let token = try await addMember(app, user: other, to: owner.organizationId, role: "member")
            let path = "/api/organizations/\(owner.organizationId)"

            let r = try await client.call(.patch, path, json: ["name": "Taken Over"], token: token)
            #expect(r.status == 403)
            #expect(r.json == ["error": "Forbidden", "message": "Only owners and admins can update the organization"])
            let empty = try await client.call(.patch, path, json: [:], token: token)
            #expect(empty.status == 403)
            #expect(try await client.call(.get, path, token: owner.token).json["organization"]["name"] == "Org A")
            // Members may still read the organization and its usage.
            #expect(try await client.call(.get, path, token: token).status == 200)
            #expect(try await client.call(.get, path + "/usage", token: token).status == 200)

            try await setRole(app, user: other, in: owner.organizationId, role: "admin")
            let asAdmin = try await client.call(.patch, path, json: ["name": "Renamed By Admin"], token: token)
            #expect(asAdmin.status == 200)
            #expect(asAdmin.json["organization"]["name"] == "Renamed By Admin")
        }
    }

    // MARK: O3

    @Test func usageIsEmptyForANewOrganization() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let owner = try await client.signup()
            let r = try await client.call(.get, "/api/organizations/\(owner.organizationId)/usage", token: owner.token)
            #expect(r.status == 200)
            #expect(r.json == ["usage_records": []])
        }
    }

    @Test func usageIsNewestFirstAndAtMost24() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let owner = try await client.signup(email: "owner@example.com", organization: "Org A")
            let other = try await client.signup(email: "other@example.com", organization: "Org B")
            // 26 monthly records, inserted in a shuffled order: 2024-01 … 2026-02.
            let months = (0..<26).map { i in (year: 2024 + i / 12, month: i % 12 + 1) }
            let ids = try await app.database.pool.write { db -> [String: String] in
                var ids: [String: String] = [:]
                for (year, month) in months.shuffled() {
                    let start = String(format: "%04d-%02d-01", year, month)
                    let end = month == 12 ? String(format: "%04d-01-01", year + 1) : String(format: "%04d-%02d-01", year, month + 1)
                    let id = Identifiers.uuid()
                    ids[start] = id
                    let created = "\(start)T00:05:00.000Z"
                    try db.execute(sql: """
                        INSERT INTO usage_records (id, organization_id, period_start, period_end, conversation_count, message_count,
                                                   ai_tokens_used, total_cost_usd, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [id, owner.organizationId, start, end, month, month * 10, month * 100, Double(month) * 0.5, created, created])
                }
                // Another organization's record (newest of all) must not appear.
                try db.execute(sql: """
                    INSERT INTO usage_records (id, organization_id, period_start, period_end, created_at, updated_at)
                    VALUES (?, ?, '2026-03-01', '2026-04-01', '2026-03-01T00:05:00.000Z', '2026-03-01T00:05:00.000Z')
                    """, arguments: [Identifiers.uuid(), other.organizationId])
                return ids
            }

            let r = try await client.call(.get, "/api/organizations/\(owner.organizationId)/usage", token: owner.token)
            #expect(r.status == 200)
            let records = try #require(r.json["usage_records"].arrayValue)
            #expect(records.count == 24)
            let starts = records.compactMap { $0["period_start"].stringValue }
            let expected = months.reversed().prefix(24).map { String(format: "%04d-%02d-01", $0.year, $0.month) }
            #expect(starts == expected)
            #expect(starts.first == "2026-02-01")
            #expect(starts.last == "2024-03-01")
            let created = records.compactMap { $0["created_at"].stringValue }
            #expect(created == created.sorted(by: >))
            #expect(records.allSatisfy { $0["organization_id"].stringValue == owner.organizationId })

            let newest = records[0]
            #expect(keys(newest) == [
                "id", "organization_id", "period_start", "period_end", "conversation_count", "message_count", "ai_tokens_used",
                "total_cost_usd", "created_at", "updated_at",
            ])
            #expect(newest["id"].stringValue == ids["2026-02-01"])
            #expect(newest["period_end"] == "2026-03-01")
            #expect(newest["conversation_count"] == 2)
            #expect(newest["message_count"] == 20)
            #expect(newest["ai_tokens_used"] == 200)
            #expect(newest["total_cost_usd"].numberValue == 1.0)
            #expect(records[1]["period_end"] == "2026-02-01")

            // The other organization sees only its own record.
            let theirs = try await client.call(.get, "/api/organizations/\(other.organizationId)/usage", token: other.token)
            #expect(theirs.json["usage_records"].arrayValue?.count == 1)
        }
    }

    // MARK: tenancy

    @Test func anotherOrganizationIsNotFound() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let a = try await client.signup(email: "a@example.com", organization: "Org A")
            let b = try await client.signup(email: "b@example.com", organization: "Org B")
            let notFound: JSON = ["error": "Organization not found"]
            for id in [b.organizationId, Identifiers.uuid(), "not-a-uuid"] {
                let get = try await client.call(.get, "/api/organizations/\(id)", token: a.token)
                #expect(get.status == 404, "\(id)")
                #expect(get.json == notFound)
                let patch = try await client.call(.patch, "/api/organizations/\(id)", json: ["name": "Hijacked"], token: a.token)
                #expect(patch.status == 404, "\(id)")
                #expect(patch.json == notFound)
                let usage = try await client.call(.get, "/api/organizations/\(id)/usage", token: a.token)
                #expect(usage.status == 404, "\(id)")
                #expect(usage.json == notFound)
            }
            // B is untouched.
            let theirs = try await client.call(.get, "/api/organizations/\(b.organizationId)", token: b.token)
            #expect(theirs.json["organization"]["name"] == "Org B")
            // Even a member of B acting for A cannot reach B through A's token.
            _ = try await addMember(app, user: a, to: b.organizationId, role: "owner")
            let stillHidden = try await client.call(.get, "/api/organizations/\(b.organizationId)", token: a.token)
            #expect(stillHidden.status == 404)
        }
    }

    @Test func validationComesBeforeTenancy() async throws {
        // behaviour §2 step 8: validation → 400, then tenancy → 403/404.
        let app = try await makeApp()
        try await app.test { client in
            let a = try await client.signup(email: "a@example.com", organization: "Org A")
            let r = try await client.call(.patch, "/api/organizations/\(Identifiers.uuid())", json: ["slug": "Not A Slug"], token: a.token)
            #expect(r.status == 400)
            #expect(r.json["details"][0]["path"] == ["slug"])
        }
    }
}

// MARK: - Helpers

/// Rate limits off: the tests make more auth requests than the default 5 per minute.
private func makeApp(clock: any AppClock = SystemClock()) async throws -> TestAppliance {
    try await TestAppliance.make(clock: clock) { settings in
        settings.rateLimitAuth = 0
        settings.rateLimitGlobal = 0
    }
}

private let organizationKeys: Set<String> = [
    "id", "name", "slug", "plan", "whatsapp_numbers", "subscription_status", "subscription_ends_at", "stripe_customer_id",
    "stripe_subscription_id", "created_at", "updated_at",
]


/// Adds `user` to `organizationId` directly in the database; returns a token acting for that organization.
private func addMember(_ app: TestAppliance, user: Account, to organizationId: String, role: String) async throws -> String {
    try await app.database.pool.write { db in
        try db.execute(sql: """
            INSERT INTO organization_members (id, organization_id, user_id, role) VALUES (?, ?, ?, ?)
            """, arguments: [Identifiers.uuid(), organizationId, user.userId, role])
    }
    return try await app.token(userId: user.userId, email: user.email, organizationId: organizationId)
}

private func setRole(_ app: TestAppliance, user: Account, in organizationId: String, role: String) async throws {
    try await app.database.pool.write { db in
        try db.execute(sql: "UPDATE organization_members SET role = ? WHERE organization_id = ? AND user_id = ?",
                       arguments: [role, organizationId, user.userId])
    }
}

