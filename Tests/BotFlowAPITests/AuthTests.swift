import BotFlowCore
import BotFlowSecurity
import BotFlowTestSupport
import Crypto
import Foundation
import GRDB
import Testing

/// api.md §1.3 (authentication outcomes), §2.1–§2.2 and A1–A3 (signup, login, me).
@Suite struct AuthTests {
    // MARK: A1 signup

    @Test func signupReturnsUserOrganizationAndSevenDayToken() async throws {
        let clock = ManualClock()
        let app = try await makeApp(clock: clock)
        try await app.test { client in
            let r = try await client.call(.post, "/api/auth/signup", json: [
                "email": "thandi@capeshuttle.co.za", "password": "correct horse battery", "fullName": "Thandi Mokoena",
                "organizationName": "Cape Shuttle Co",
            ])
            #expect(r.status == 200)
            #expect(keys(r.json) == ["user", "organization", "token"])

            let user = r.json["user"]
            #expect(keys(user) == ["id", "email", "fullName"])
            let userId = try #require(user["id"].stringValue)
            #expect(Identifiers.isUUID(userId))
            #expect(user["email"] == "thandi@capeshuttle.co.za")
            #expect(user["fullName"] == "Thandi Mokoena")

            let org = r.json["organization"]
            #expect(keys(org) == organizationKeys)
            let orgId = try #require(org["id"].stringValue)
            #expect(Identifiers.isUUID(orgId))
            #expect(org["name"] == "Cape Shuttle Co")
            #expect(org["slug"] == "cape-shuttle-co")
            #expect(org["plan"] == "starter")
            #expect(org["whatsapp_numbers"] == [])
            #expect(org["subscription_status"] == "active")
            #expect(org["subscription_ends_at"] == .null)
            #expect(org["stripe_customer_id"] == .null)
            #expect(org["stripe_subscription_id"] == .null)
            #expect(org["created_at"].stringValue == clock.now())
            #expect(org["updated_at"].stringValue == clock.now())

            let token = try #require(r.json["token"].stringValue)
            let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            #expect(parts.count == 3)
            let header = JWT.decode(parts[0])
            #expect(keys(header) == ["alg", "typ"])
            #expect(header["alg"] == "HS256")
            #expect(header["typ"] == "JWT")
            let payload = JWT.decode(parts[1])
            #expect(keys(payload) == ["userId", "email", "organizationId", "iat", "exp"])
            #expect(payload["userId"].stringValue == userId)
            #expect(payload["email"] == "thandi@capeshuttle.co.za")
            #expect(payload["organizationId"].stringValue == orgId)
            let iat = try #require(payload["iat"].integerValue)
            let exp = try #require(payload["exp"].integerValue)
            #expect(iat == clock.nowSeconds())
            #expect(exp == iat + 604_800)

            // The token works on a protected route.
            let me = try await client.call(.get, "/api/auth/me", token: token)
            #expect(me.status == 200)
            #expect(me.json["user"]["id"].stringValue == userId)
        }
    }

    @Test func signupStoresEmailLowerCaseAndLoginMatchesAnyCase() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let r = try await client.call(.post, "/api/auth/signup", json: signupBody(email: "Thandi.Mokoena@CapeShuttle.CO.ZA"))
            #expect(r.status == 200)
            #expect(r.json["user"]["email"] == "thandi.mokoena@capeshuttle.co.za")
            let token = try #require(r.json["token"].stringValue)
            #expect(JWT.payload(token)["email"] == "thandi.mokoena@capeshuttle.co.za")
            let stored = try await app.database.read { db in try String.fetchAll(db, sql: "SELECT email FROM users") }
            #expect(stored == ["thandi.mokoena@capeshuttle.co.za"])

            let login = try await client.call(.post, "/api/auth/login", json: [
                "email": "THANDI.MOKOENA@capeshuttle.co.za", "password": "correct horse battery",
            ])
            #expect(login.status == 200)
            #expect(login.json["user"]["email"] == "thandi.mokoena@capeshuttle.co.za")
        }
    }

    @Test func slugIsTrimmedLowerCasedWithWhitespaceRunsAsHyphensAndCollisionsNumbered() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let first = try await client.call(.post, "/api/auth/signup", json: signupBody(organizationName: "  Cape   Shuttle\t\nCo  "))
            #expect(first.status == 200)
            #expect(first.json["organization"]["slug"] == "cape-shuttle-co")
            #expect(first.json["organization"]["name"] == "  Cape   Shuttle\t\nCo  ")

            let second = try await client.call(.post, "/api/auth/signup", json: signupBody(organizationName: "Cape Shuttle Co"))
            #expect(second.status == 200)
            #expect(second.json["organization"]["slug"] == "cape-shuttle-co-2")

            let third = try await client.call(.post, "/api/auth/signup", json: signupBody(organizationName: "CAPE SHUTTLE CO"))
            #expect(third.status == 200)
            #expect(third.json["organization"]["slug"] == "cape-shuttle-co-3")

            let slugs = try await app.database.read { db in
                try String.fetchAll(db, sql: "SELECT slug FROM organizations ORDER BY rowid")
            }
            #expect(slugs == ["cape-shuttle-co", "cape-shuttle-co-2", "cape-shuttle-co-3"])
        }
    }

    @Test func signupRejectsBadEmail() async throws {
        let app = try await makeApp()
        try await app.test { client in
            for email in ["not-an-email", "a@b", "thandi@@example.com", "thandi@example.com ", ""] {
                let r = try await client.call(.post, "/api/auth/signup", json: signupBody(email: .string(email)))
                #expect(r.status == 400, "email \(email)")
                #expect(r.json["error"] == "Validation error")
                #expect(r.json["details"].arrayValue?.count == 1)
                #expect(r.json["details"][0]["path"] == ["email"])
                #expect(r.json["details"][0]["code"] == "invalid_string")
                #expect(r.json["message"] == r.json["details"][0]["message"])
            }
            // Longer than 254 characters (otherwise well-formed).
            let long = String(repeating: "a", count: 64) + "@" + String(repeating: "b", count: 63) + "."
                + String(repeating: "c", count: 63) + "." + String(repeating: "d", count: 63) + ".com"
            #expect(long.count > 254)
            let r = try await client.call(.post, "/api/auth/signup", json: signupBody(email: .string(long)))
            #expect(r.status == 400)
            #expect(r.json["details"][0]["path"] == ["email"])
            #expect(r.json["details"][0]["code"] == "too_big")
        }
    }

    @Test func passwordMustBe8To128Characters() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let short = try await client.call(.post, "/api/auth/signup", json: signupBody(password: "1234567"))
            #expect(short.status == 400)
            #expect(short.json["error"] == "Validation error")
            #expect(short.json["details"].arrayValue?.count == 1)
            #expect(short.json["details"][0]["path"] == ["password"])
            #expect(short.json["details"][0]["code"] == "too_small")

            let long = try await client.call(.post, "/api/auth/signup", json: signupBody(password: .string(String(repeating: "p", count: 129))))
            #expect(long.status == 400)
            #expect(long.json["details"][0]["path"] == ["password"])
            #expect(long.json["details"][0]["code"] == "too_big")

            let eight = try await client.call(.post, "/api/auth/signup", json: signupBody(password: "12345678"))
            #expect(eight.status == 200)

            // 128 scalars (256 UTF-8 bytes): within the limit, and not truncated at 72 bytes (behaviour §5.4).
            let password = String(repeating: "é", count: 127) + "a"
            let email = "long-password@example.com"
            let max = try await client.call(.post, "/api/auth/signup", json: signupBody(email: .string(email), password: .string(password)))
            #expect(max.status == 200)
            let almost = String(repeating: "é", count: 127) + "b"
            let wrong = try await client.call(.post, "/api/auth/login", json: ["email": .string(email), "password": .string(almost)])
            #expect(wrong.status == 401)
            let right = try await client.call(.post, "/api/auth/login", json: ["email": .string(email), "password": .string(password)])
            #expect(right.status == 200)
        }
    }

    @Test func fullNameAndOrganizationNameBounds() async throws {
        let app = try await makeApp()
        try await app.test { client in
            for (field, value, code) in [
                ("fullName", "T", "too_small"), ("fullName", String(repeating: "x", count: 101), "too_big"),
                ("organizationName", "C", "too_small"), ("organizationName", String(repeating: "x", count: 101), "too_big"),
                // 101 scalars that are 202 UTF-16 units: still too big; lengths count scalars.
                ("fullName", String(repeating: "😀", count: 101), "too_big"),
            ] {
                var body = signupBody()
                body = setting(body, field, .string(value))
                let r = try await client.call(.post, "/api/auth/signup", json: body)
                #expect(r.status == 400, "\(field) \(value.count)")
                #expect(r.json["details"].arrayValue?.count == 1)
                #expect(r.json["details"][0]["path"] == [.string(field)])
                #expect(r.json["details"][0]["code"] == .string(code))
            }
            let notString = try await client.call(.post, "/api/auth/signup", json: setting(signupBody(), "fullName", 42))
            #expect(notString.status == 400)
            #expect(notString.json["details"][0]["code"] == "invalid_type")

            // Bounds are inclusive: 2 and 100 scalars (100 emoji = 200 UTF-16 units) are accepted.
            let ok = try await client.call(.post, "/api/auth/signup", json: signupBody(
                fullName: "Jo", organizationName: .string(String(repeating: "😀", count: 100))))
            #expect(ok.status == 200)
            #expect(ok.json["user"]["fullName"] == "Jo")
            #expect(ok.json["organization"]["name"].stringValue?.unicodeScalars.count == 100)
        }
    }

    @Test func missingFieldsAreAllReportedInFieldOrder() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let r = try await client.call(.post, "/api/auth/signup", json: [:])
            #expect(r.status == 400)
            #expect(keys(r.json) == ["error", "message", "details"])
            #expect(r.json["error"] == "Validation error")
            let details = try #require(r.json["details"].arrayValue)
            #expect(details.map { $0["path"] } == [["email"], ["password"], ["fullName"], ["organizationName"]])
            #expect(details.allSatisfy { $0["code"] == "required" })
            #expect(details.allSatisfy { keys($0) == ["path", "message", "code"] })
            #expect(r.json["message"] == details[0]["message"])

            // Mixed problems, still every issue in field order; null counts as missing.
            let mixed = try await client.call(.post, "/api/auth/signup", json: [
                "organizationName": 5, "fullName": "A", "password": "short", "email": nil,
            ])
            #expect(mixed.status == 400)
            let issues = try #require(mixed.json["details"].arrayValue)
            #expect(issues.map { $0["path"] } == [["email"], ["password"], ["fullName"], ["organizationName"]])
            #expect(issues.map { $0["code"] } == ["required", "too_small", "too_small", "invalid_type"])

            // An empty body counts as `{}`.
            let empty = try await client.call(.post, "/api/auth/signup", raw: [], contentType: nil)
            #expect(empty.status == 400)
            #expect(empty.json["details"].arrayValue?.count == 4)
        }
    }

    @Test func duplicateEmailIsRejectedAlsoWhenOnlyCaseDiffers() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let first = try await client.call(.post, "/api/auth/signup", json: signupBody(email: "sipho@example.com"))
            #expect(first.status == 200)
            let before = try await accountRowCounts(app)
            for email in ["sipho@example.com", "SIPHO@Example.COM"] {
                let r = try await client.call(.post, "/api/auth/signup", json: signupBody(email: .string(email), organizationName: "Other Org"))
                #expect(r.status == 400)
                #expect(r.json == ["error": "User already registered"])
            }
            #expect(try await accountRowCounts(app) == before)
        }
    }

    @Test func failedSignupLeavesNoRowBehind() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let before = try await accountRowCounts(app)
            #expect(before == [0, 0, 0, 0])
            // Everything valid except the organization name: nothing may be created.
            let r = try await client.call(.post, "/api/auth/signup", json: signupBody(organizationName: .string(String(repeating: "o", count: 101))))
            #expect(r.status == 400)
            #expect(try await accountRowCounts(app) == before)
            // A later valid signup of the same email is not blocked by a half-created user.
            let ok = try await client.call(.post, "/api/auth/signup", json: signupBody())
            #expect(ok.status == 200)
            #expect(try await accountRowCounts(app) == [1, 1, 1, 0])
        }
    }

    @Test func firstUserIsApplianceAdminAndLaterUsersAreNot() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let first = try await client.signup(email: "first@example.com")
            let second = try await client.signup(email: "second@example.com", organization: "Second Org")
            let meFirst = try await client.call(.get, "/api/auth/me", token: first.token)
            #expect(meFirst.json["user"]["is_admin"] == true)
            let meSecond = try await client.call(.get, "/api/auth/me", token: second.token)
            #expect(meSecond.json["user"]["is_admin"] == false)
            // Both own their organization.
            let roles = try await app.database.read { db in try String.fetchAll(db, sql: "SELECT role FROM organization_members") }
            #expect(roles == ["owner", "owner"])
        }
    }

    @Test func adminEmailsGrantAdminAtSignupAndLogin() async throws {
        let app = try await makeApp { $0.adminEmails = ["boss@example.com", "later@example.com"] }
        try await app.test { client in
            _ = try await client.signup(email: "first@example.com")
            let boss = try await client.signup(email: "Boss@Example.com", organization: "Boss Org")
            let plain = try await client.signup(email: "plain@example.com", organization: "Plain Org")
            #expect(try await client.call(.get, "/api/auth/me", token: boss.token).json["user"]["is_admin"] == true)
            #expect(try await client.call(.get, "/api/auth/me", token: plain.token).json["user"]["is_admin"] == false)

            // A listed user who is not (yet) admin becomes admin at login.
            let later = try await client.signup(email: "later@example.com", organization: "Later Org")
            try await app.database.pool.write { db in
                try db.execute(sql: "UPDATE users SET is_admin = 0 WHERE id = ?", arguments: [later.userId])
            }
            #expect(try await client.call(.get, "/api/auth/me", token: later.token).json["user"]["is_admin"] == false)
            let login = try await client.call(.post, "/api/auth/login", json: ["email": "later@example.com", "password": .string(later.password)])
            #expect(login.status == 200)
            #expect(try await client.call(.get, "/api/auth/me", token: later.token).json["user"]["is_admin"] == true)
        }
    }

    // MARK: A2 login

    @Test func loginReturnsSessionWithOldestActiveWhatsAppAccount() async throws {
        let clock = ManualClock()
        let app = try await makeApp(clock: clock)
        try await app.test { client in
            let account = try await client.signup(email: "thandi@example.com")
            let r = try await client.call(.post, "/api/auth/login", json: ["email": "thandi@example.com", "password": .string(account.password)])
            #expect(r.status == 200)
            #expect(keys(r.json) == ["user", "organization", "whatsappAccount", "token"])
            #expect(r.json["user"] == ["id": .string(account.userId), "email": "thandi@example.com", "fullName": "Thandi Mokoena"])
            #expect(r.json["organization"]["id"].stringValue == account.organizationId)
            #expect(keys(r.json["organization"]) == organizationKeys)
            #expect(r.json["whatsappAccount"] == .null)
            let token = try #require(r.json["token"].stringValue)
            let payload = JWT.payload(token)
            #expect(payload["userId"].stringValue == account.userId)
            #expect(payload["organizationId"].stringValue == account.organizationId)
            #expect(payload["exp"].integerValue == clock.nowSeconds() + 604_800)

            // A pending account is skipped; the oldest active one is returned.
            clock.advance(seconds: 1)
            let pending = try await client.call(.post, "/api/whatsapp/connect", json: [
                "provider": "meta", "phone_number": "+27820000009", "credentials": ["accessToken": "EAAG-token"],
            ], token: account.token)
            #expect(pending.json["whatsappAccount"]["status"] == "pending")
            clock.advance(seconds: 1)
            let sandboxId = try await client.connectSandbox(account, phone: "+27820000001")
            clock.advance(seconds: 1)
            _ = try await client.connectSandbox(account, phone: "+27820000002")

            let again = try await client.call(.post, "/api/auth/login", json: ["email": "thandi@example.com", "password": .string(account.password)])
            #expect(again.status == 200)
            #expect(again.json["whatsappAccount"]["id"].stringValue == sandboxId)
            #expect(again.json["whatsappAccount"]["phone_number"] == "+27820000001")
            #expect(again.json["whatsappAccount"]["status"] == "active")
            #expect(keys(again.json["whatsappAccount"]) == whatsappAccountKeys)
            #expect(again.json["organization"]["whatsapp_numbers"] == ["+27820000009", "+27820000001", "+27820000002"])
        }
    }

    @Test func wrongPasswordAndUnknownEmailGiveTheSame401() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let account = try await client.signup(email: "thandi@example.com")
            let wrong = try await client.call(.post, "/api/auth/login", json: ["email": "thandi@example.com", "password": "not the password"])
            #expect(wrong.status == 401)
            #expect(wrong.json == ["error": "Invalid credentials"])
            let unknown = try await client.call(.post, "/api/auth/login", json: ["email": "nobody@example.com", "password": .string(account.password)])
            #expect(unknown.status == 401)
            #expect(unknown.json == ["error": "Invalid credentials"])
            // An empty password is allowed by validation and is simply wrong.
            let empty = try await client.call(.post, "/api/auth/login", json: ["email": "thandi@example.com", "password": ""])
            #expect(empty.status == 401)
            #expect(empty.json == ["error": "Invalid credentials"])
            // Failed logins do not count as logins.
            let lastLogin = try await app.database.read { db in
                try String?.fetchOne(db, sql: "SELECT last_login_at FROM users WHERE id = ?", arguments: [account.userId]) ?? nil
            }
            #expect(lastLogin == nil)
        }
    }

    @Test func loginValidation() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let missing = try await client.call(.post, "/api/auth/login", json: [:])
            #expect(missing.status == 400)
            #expect(missing.json["error"] == "Validation error")
            #expect(missing.json["details"].arrayValue?.map { $0["path"] } == [["email"], ["password"]])
            #expect(missing.json["details"].arrayValue?.map { $0["code"] } == ["required", "required"])

            let bad = try await client.call(.post, "/api/auth/login", json: [
                "email": "nope", "password": .string(String(repeating: "p", count: 129)), "organizationId": "not-a-uuid",
            ])
            #expect(bad.status == 400)
            #expect(bad.json["details"].arrayValue?.map { $0["path"] } == [["email"], ["password"], ["organizationId"]])
            #expect(bad.json["details"].arrayValue?.map { $0["code"] } == ["invalid_string", "too_big", "invalid_string"])
        }
    }

    @Test func loginWithOrganizationIdChoosesTheTokenOrganization() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let a = try await client.signup(email: "a@example.com", organization: "Org A")
            let b = try await client.signup(email: "b@example.com", organization: "Org B")

            // Another organization's id (or one that does not exist) → 403.
            for orgId in [b.organizationId, Identifiers.uuid()] {
                let r = try await client.call(.post, "/api/auth/login", json: [
                    "email": "a@example.com", "password": .string(a.password), "organizationId": .string(orgId),
                ])
                #expect(r.status == 403)
                #expect(r.json == ["error": "Forbidden", "message": "Not a member of this organization"])
            }

            // Once A is also a member of B: default is the oldest membership, organizationId picks B.
            try await app.database.pool.write { db in
                try db.execute(sql: """
                    INSERT INTO organization_members (id, organization_id, user_id, role, created_at, updated_at)
                    VALUES (?, ?, ?, 'member', '2099-01-01T00:00:00.000Z', '2099-01-01T00:00:00.000Z')
                    """, arguments: [Identifiers.uuid(), b.organizationId, a.userId])
            }
            let byDefault = try await client.call(.post, "/api/auth/login", json: ["email": "a@example.com", "password": .string(a.password)])
            #expect(byDefault.status == 200)
            #expect(byDefault.json["organization"]["id"].stringValue == a.organizationId)
            #expect(JWT.payload(byDefault.json["token"].stringValue ?? "")["organizationId"].stringValue == a.organizationId)

            let chosen = try await client.call(.post, "/api/auth/login", json: [
                "email": "a@example.com", "password": .string(a.password), "organizationId": .string(b.organizationId),
            ])
            #expect(chosen.status == 200)
            #expect(chosen.json["organization"]["id"].stringValue == b.organizationId)
            let token = try #require(chosen.json["token"].stringValue)
            #expect(JWT.payload(token)["organizationId"].stringValue == b.organizationId)
            let org = try await client.call(.get, "/api/organizations/\(b.organizationId)", token: token)
            #expect(org.status == 200)
            #expect(org.json["role"] == "member")
        }
    }

    @Test func loginWithoutMembershipOmitsOrganization() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let a = try await client.signup(email: "a@example.com")
            try await app.database.pool.write { db in
                try db.execute(sql: "DELETE FROM organization_members WHERE user_id = ?", arguments: [a.userId])
            }
            let r = try await client.call(.post, "/api/auth/login", json: ["email": "a@example.com", "password": .string(a.password)])
            #expect(r.status == 200)
            #expect(keys(r.json) == ["user", "whatsappAccount", "token"])
            #expect(r.json["whatsappAccount"] == .null)
            let token = try #require(r.json["token"].stringValue)
            let payload = JWT.payload(token)
            #expect(payload["userId"].stringValue == a.userId)
            #expect(payload.objectValue?["organizationId"] == nil)
            let me = try await client.call(.get, "/api/auth/me", token: token)
            #expect(me.status == 200)
            #expect(me.json["organization"] == .null)
        }
    }

    @Test func loginUpdatesLastLoginAt() async throws {
        let clock = ManualClock()
        let app = try await makeApp(clock: clock)
        try await app.test { client in
            let a = try await client.signup(email: "a@example.com")
            func lastLogin() async throws -> String? {
                try await app.database.read { db in
                    try String?.fetchOne(db, sql: "SELECT last_login_at FROM users WHERE id = ?", arguments: [a.userId]) ?? nil
                }
            }
            #expect(try await lastLogin() == nil)
            clock.advance(seconds: 3600)
            let first = try await client.call(.post, "/api/auth/login", json: ["email": "a@example.com", "password": .string(a.password)])
            #expect(first.status == 200)
            #expect(try await lastLogin() == clock.now())
            clock.advance(milliseconds: 61_234)
            _ = try await client.call(.post, "/api/auth/login", json: ["email": "a@example.com", "password": .string(a.password)])
            #expect(try await lastLogin() == clock.now())
        }
    }

    // MARK: A3 me

    @Test func meReturnsUserWithMetadataAndOrganization() async throws {
        let clock = ManualClock()
        let app = try await makeApp(clock: clock)
        try await app.test { client in
            let signup = try await client.call(.post, "/api/auth/signup", json: signupBody(email: "thandi@example.com", fullName: "Thandi Mokoena"))
            let token = try #require(signup.json["token"].stringValue)
            let me = try await client.call(.get, "/api/auth/me", token: token)
            #expect(me.status == 200)
            #expect(keys(me.json) == ["user", "organization"])
            let user = me.json["user"]
            #expect(keys(user) == ["id", "email", "fullName", "user_metadata", "is_admin", "created_at"])
            #expect(user["id"] == signup.json["user"]["id"])
            #expect(user["email"] == "thandi@example.com")
            #expect(user["fullName"] == "Thandi Mokoena")
            #expect(user["user_metadata"] == ["full_name": "Thandi Mokoena"])
            #expect(user["is_admin"] == true)
            #expect(user["created_at"].stringValue == clock.now())
            #expect(me.json["organization"] == signup.json["organization"])
        }
    }

    // MARK: §1.3 outcomes on protected routes

    @Test func missingAuthorizationHeaderIs401() async throws {
        let app = try await makeApp()
        try await app.test { client in
            for path in ["/api/auth/me", "/api/bots", "/api/whatsapp/accounts", "/api/organizations/\(Identifiers.uuid())"] {
                let r = try await client.call(.get, path)
                #expect(r.status == 401, "\(path)")
                #expect(r.json == unauthorizedBody)
            }
        }
    }

    @Test func malformedAuthorizationHeaderIs400() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let account = try await client.signup()
            for header in ["Token abc", "Bearer", "Bearer ", "Bearer a b", "Bearer  \(account.token)", "\(account.token)", "Basic dXNlcjpwYXNz"] {
                let r = try await client.call(.get, "/api/auth/me", headers: ["Authorization": header])
                #expect(r.status == 400, "\(header)")
                #expect(r.json == ["error": "Bad Request", "message": "Format is Authorization: Bearer [token]"])
            }
            // The format check runs before the body is read.
            let post = try await client.call(.post, "/api/whatsapp/connect", raw: Array("{oops".utf8), contentType: "application/json",
                                              headers: ["Authorization": "Token abc"])
            #expect(post.status == 400)
            #expect(post.json["error"] == "Bad Request")
        }
    }

    @Test func schemeIsCaseInsensitive() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let account = try await client.signup()
            // Right format, invalid token: 401, not 400.
            for scheme in ["bearer", "BEARER", "bEaReR"] {
                let invalid = try await client.call(.get, "/api/auth/me", headers: ["Authorization": "\(scheme) x"])
                #expect(invalid.status == 401)
                #expect(invalid.json == unauthorizedBody)
                let valid = try await client.call(.get, "/api/auth/me", headers: ["Authorization": "\(scheme) \(account.token)"])
                #expect(valid.status == 200)
            }
        }
    }

    @Test func malformedAndTamperedTokensAre401() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let account = try await client.signup()
            let parts = account.token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            // Flip one character in the middle of the payload (every bit of a non-final base64 character is used).
            var payload = Array(parts[1])
            let i = payload.count / 2
            payload[i] = payload[i] == "A" ? "B" : "A"
            let tampered = [parts[0], String(payload), parts[2]].joined(separator: ".")
            // Re-encoded payload with another organization, original signature.
            var claims = try #require(JWT.decode(parts[1]).objectValue)
            claims["organizationId"] = .string(Identifiers.uuid())
            let swapped = [parts[0], JWT.encode(.object(claims)), parts[2]].joined(separator: ".")
            // Signature of another token.
            let other = try await app.token(userId: account.userId, email: account.email, organizationId: account.organizationId, ttlSeconds: 99)
            let mixed = [parts[0], parts[1], String(other.split(separator: ".")[2])].joined(separator: ".")

            for token in [tampered, swapped, mixed, "abc", "a.b.c", parts[0] + "." + parts[1], account.token + "x", parts[0] + "." + parts[1] + "."] {
                let r = try await client.call(.get, "/api/auth/me", token: token)
                #expect(r.status == 401, "\(token)")
                #expect(r.json == unauthorizedBody)
            }
            #expect(try await client.call(.get, "/api/auth/me", token: account.token).status == 200)
        }
    }

    @Test func tokensWithWrongKeyAlgorithmOrMissingExpAre401() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let account = try await client.signup()
            let secret = try #require(app.settings.jwtSecret)
            let now = Int64(Date().timeIntervalSince1970)
            let claims: JSON = [
                "userId": .string(account.userId), "email": .string(account.email), "organizationId": .string(account.organizationId),
                "iat": .int(now), "exp": .int(now + 3600),
            ]
            // Control: a hand-built HS256 token with the real secret is accepted, so the rejections below are about
            // the one thing each token changes.
            let control = JWT.sign(header: ["alg": "HS256", "typ": "JWT"], claims: claims, secret: secret, algorithm: .hs256)
            let ok = try await client.call(.get, "/api/auth/me", token: control)
            #expect(ok.status == 200)
            #expect(ok.json["user"]["id"].stringValue == account.userId)

            let otherSecret = JWT.sign(header: ["alg": "HS256", "typ": "JWT"], claims: claims,
                                       secret: "another-secret-another-secret-0123456789", algorithm: .hs256)
            let hs512 = JWT.sign(header: ["alg": "HS512", "typ": "JWT"], claims: claims, secret: secret, algorithm: .hs512)
            let none = JWT.encode(["alg": "none", "typ": "JWT"]) + "." + JWT.encode(claims) + "."
            // `alg: none` header with the valid HS256 signature.
            let noneSigned = JWT.encode(["alg": "none", "typ": "JWT"]) + "." + JWT.encode(claims) + "."
                + control.split(separator: ".")[2]
            var withoutExp = try #require(claims.objectValue)
            withoutExp["exp"] = nil
            let noExp = JWT.sign(header: ["alg": "HS256", "typ": "JWT"], claims: .object(withoutExp), secret: secret, algorithm: .hs256)
            var stringExp = try #require(claims.objectValue)
            stringExp["exp"] = .string(String(now + 3600))
            let badExp = JWT.sign(header: ["alg": "HS256", "typ": "JWT"], claims: .object(stringExp), secret: secret, algorithm: .hs256)

            // A token of another appliance (its own generated secret).
            let other = try await makeApp()
            let foreign = try await other.token(userId: account.userId, email: account.email, organizationId: account.organizationId)

            for (name, token) in [("other secret", otherSecret), ("HS512", hs512), ("none", none), ("none+sig", noneSigned),
                                  ("no exp", noExp), ("string exp", badExp), ("other appliance", foreign)] {
                let r = try await client.call(.get, "/api/auth/me", token: token)
                #expect(r.status == 401, "\(name)")
                #expect(r.json == unauthorizedBody, "\(name)")
            }
        }
    }

    @Test func expiredTokenIs401() async throws {
        let clock = ManualClock()
        let app = try await makeApp(clock: clock)
        try await app.test { client in
            let account = try await client.signup()
            clock.advance(seconds: 604_800 - 1)
            #expect(try await client.call(.get, "/api/auth/me", token: account.token).status == 200)
            clock.advance(seconds: 1)
            let atExpiry = try await client.call(.get, "/api/auth/me", token: account.token)
            #expect(atExpiry.status == 401)
            clock.advance(seconds: 86_400)
            let expired = try await client.call(.get, "/api/auth/me", token: account.token)
            #expect(expired.status == 401)
            #expect(expired.json == unauthorizedBody)
            #expect(try await client.call(.get, "/api/bots", token: account.token).status == 401)
            // Logging in again gives a fresh token.
            let login = try await client.call(.post, "/api/auth/login", json: ["email": .string(account.email), "password": .string(account.password)])
            let fresh = try #require(login.json["token"].stringValue)
            #expect(try await client.call(.get, "/api/auth/me", token: fresh).status == 200)
        }
    }

    @Test func tokenOfDeletedUserIs401() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let account = try await client.signup()
            #expect(try await client.call(.get, "/api/auth/me", token: account.token).status == 200)
            try await app.database.pool.write { db in
                try db.execute(sql: "DELETE FROM users WHERE id = ?", arguments: [account.userId])
            }
            for path in ["/api/auth/me", "/api/bots"] {
                let r = try await client.call(.get, path, token: account.token)
                #expect(r.status == 401)
                #expect(r.json == unauthorizedBody)
            }
            // A well-signed token for a user id that never existed.
            let ghost = try await app.token(userId: Identifiers.uuid(), email: "ghost@example.com", organizationId: account.organizationId)
            #expect(try await client.call(.get, "/api/auth/me", token: ghost).status == 401)
        }
    }

    @Test func tokenWithoutOrganizationIsForbiddenOnOrgScopedRoutes() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let account = try await client.signup()
            let token = try await app.token(userId: account.userId, email: account.email, organizationId: nil)
            #expect(JWT.payload(token).objectValue?["organizationId"] == nil)
            let forbidden: JSON = ["error": "Forbidden", "message": "No organization in token"]
            for path in ["/api/bots", "/api/whatsapp/accounts", "/api/organizations/\(account.organizationId)",
                         "/api/organizations/\(account.organizationId)/usage"] {
                let r = try await client.call(.get, path, token: token)
                #expect(r.status == 403, "\(path)")
                #expect(r.json == forbidden)
            }
            let post = try await client.call(.post, "/api/whatsapp/connect", json: ["provider": "sandbox", "phone_number": "+27820000001"], token: token)
            #expect(post.status == 403)
            #expect(post.json == forbidden)
            let patch = try await client.call(.patch, "/api/organizations/\(account.organizationId)", json: ["name": "New"], token: token)
            #expect(patch.status == 403)
            #expect(patch.json == forbidden)

            let me = try await client.call(.get, "/api/auth/me", token: token)
            #expect(me.status == 200)
            #expect(me.json["user"]["id"].stringValue == account.userId)
            #expect(me.json["organization"] == .null)
            #expect(me.json.objectValue?["organization"] != nil)
        }
    }

    @Test func userRemovedFromOrganizationIsForbidden() async throws {
        let app = try await makeApp()
        try await app.test { client in
            let account = try await client.signup()
            #expect(try await client.call(.get, "/api/bots", token: account.token).status == 200)
            try await app.database.pool.write { db in
                try db.execute(sql: "DELETE FROM organization_members WHERE user_id = ?", arguments: [account.userId])
            }
            let notMember: JSON = ["error": "Forbidden", "message": "Not a member of this organization"]
            for path in ["/api/bots", "/api/whatsapp/accounts", "/api/whatsapp", "/api/organizations/\(account.organizationId)"] {
                let r = try await client.call(.get, path, token: account.token)
                #expect(r.status == 403, "\(path)")
                #expect(r.json == notMember)
            }
            let post = try await client.call(.post, "/api/bots", json: ["name": "Bot"], token: account.token)
            #expect(post.status == 403)
            #expect(post.json == notMember)

            // A token naming an organization the user never belonged to.
            let other = try await client.signup(email: "other@example.com", organization: "Other Org")
            let foreign = try await app.token(userId: other.userId, email: other.email, organizationId: account.organizationId)
            let r = try await client.call(.get, "/api/bots", token: foreign)
            #expect(r.status == 403)
            #expect(r.json == notMember)
        }
    }

    @Test func publicRoutesIgnoreBadAuthorizationHeaders() async throws {
        let app = try await makeApp()
        try await app.test { client in
            for header in ["Token x", "Bearer", "Bearer not-a-jwt", "Bearer a b c"] {
                let r = try await client.call(.get, "/api/templates", headers: ["Authorization": header])
                #expect(r.status == 200, "\(header)")
                #expect(r.json["templates"].arrayValue?.isEmpty == false)
            }
            // Signup and login are public too.
            let signup = try await client.call(.post, "/api/auth/signup", json: signupBody(email: "pub@example.com"), headers: ["Authorization": "Token x"])
            #expect(signup.status == 200)
            let login = try await client.call(.post, "/api/auth/login", json: ["email": "pub@example.com", "password": "correct horse battery"],
                                              headers: ["Authorization": "Bearer garbage"])
            #expect(login.status == 200)
            #expect(try await client.call(.get, "/health", headers: ["Authorization": "Token x"]).status == 200)
        }
    }
}

// MARK: - Helpers

/// Rate limits off: these tests make more auth requests than the default 5 per minute.
private func makeApp(clock: any AppClock = SystemClock(), configure: (inout Settings) -> Void = { _ in }) async throws -> TestAppliance {
    try await TestAppliance.make(clock: clock) { settings in
        settings.rateLimitAuth = 0
        settings.rateLimitGlobal = 0
        configure(&settings)
    }
}

private let unauthorizedBody: JSON = ["error": "Unauthorized", "message": "Invalid or missing authentication token"]

private let organizationKeys: Set<String> = [
    "id", "name", "slug", "plan", "whatsapp_numbers", "subscription_status", "subscription_ends_at", "stripe_customer_id",
    "stripe_subscription_id", "created_at", "updated_at",
]

private let whatsappAccountKeys: Set<String> = [
    "id", "organization_id", "provider", "phone_number", "display_name", "status", "bird_channel_id", "bird_workspace_id",
    "phone_number_id", "waba_id", "twilio_account_sid", "twilio_phone_number_sid", "credentials_set", "webhook_url", "metadata",
    "created_at", "updated_at",
]


private func signupBody(
    email: JSON = .string("owner-\(UUID().uuidString.prefix(8).lowercased())@example.com"), password: JSON = "correct horse battery",
    fullName: JSON = "Thandi Mokoena", organizationName: JSON = "Cape Shuttle Co"
) -> JSON {
    ["email": email, "password": password, "fullName": fullName, "organizationName": organizationName]
}

private func setting(_ body: JSON, _ key: String, _ value: JSON) -> JSON {
    var o = body.objectValue ?? [:]
    o[key] = value
    return .object(o)
}


/// Hand-built compact JWS values for the token-rejection tests.
private enum JWT {
    enum Algorithm { case hs256, hs512 }

    static func encode(_ json: JSON) -> String { Base64URL.encode(JSONWriter.bytes(json)) }

    static func decode(_ segment: String) -> JSON {
        guard let bytes = Base64URL.decode(segment) else { return .null }
        return (try? JSONParser.parse(bytes)) ?? .null
    }

    static func payload(_ token: String) -> JSON {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 ? decode(String(parts[1])) : .null
    }

    static func sign(header: JSON, claims: JSON, secret: String, algorithm: Algorithm) -> String {
        let input = encode(header) + "." + encode(claims)
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac: [UInt8]
        switch algorithm {
        case .hs256: mac = Array(HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: key))
        case .hs512: mac = Array(HMAC<SHA512>.authenticationCode(for: Array(input.utf8), using: key))
        }
        return input + "." + Base64URL.encode(mac)
    }
}
