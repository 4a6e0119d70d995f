import BotFlowCore
import BotFlowTestSupport
import Testing

/// api.md §1.1–§1.2, §1.12, §1.14: routing, bodies and headers common to every endpoint.
@Suite struct ConventionsTests {
    @Test func unknownRouteAnswersExactNotFoundBody() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let r = try await client.call(.get, "/api/nope")
            #expect(r.status == 404)
            #expect(r.json == ["error": "Not Found", "message": "Route GET:/api/nope not found", "statusCode": 404])
            let wrongMethod = try await client.call(.put, "/api/bots")
            #expect(wrongMethod.status == 404)
            #expect(wrongMethod.json["message"] == "Route PUT:/api/bots not found")
        }
    }

    @Test func healthAnswersWithSecurityHeadersAndRequestId() async throws {
        let app = try await TestAppliance.make { $0.environmentName = "test" }
        try await app.test { client in
            let r = try await client.call(.get, "/health", headers: ["X-Request-Id": "abc-123:x.y_z"])
            #expect(r.status == 200)
            #expect(r.json["status"] == "ok")
            #expect(r.json["environment"] == "test")
            #expect(r.header("X-Request-Id") == "abc-123:x.y_z")
            #expect(r.header("X-Frame-Options") == "DENY")
            #expect(r.header("Content-Type") == "application/json; charset=utf-8")
            #expect(r.header("X-Powered-By") == nil)
            let generated = try await client.call(.get, "/health", headers: ["X-Request-Id": "bad id with spaces"])
            #expect(generated.header("X-Request-Id").map(Identifiers.isUUID) == true)
        }
    }

    @Test func headIsAnsweredForEveryGet() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let r = try await client.call(.head, "/api/templates")
            #expect(r.status == 200)
            #expect(r.body.isEmpty)
        }
    }

    @Test func trailingSlashIsIgnored() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let r = try await client.call(.get, "/api/templates/")
            #expect(r.status == 200)
            #expect(r.json["templates"].arrayValue?.count == 20)
        }
    }

    @Test func bodyRules() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let malformed = try await client.call(.post, "/api/auth/login", raw: Array("{\"email\":".utf8), contentType: "application/json")
            #expect(malformed.status == 400)
            #expect(malformed.json == ["error": "Invalid JSON", "message": "Request body is not valid JSON"])
            let wrongType = try await client.call(.post, "/api/auth/login", raw: Array("email=a".utf8), contentType: "text/plain")
            #expect(wrongType.status == 415)
            #expect(wrongType.json == ["error": "Unsupported Media Type", "message": "Content-Type must be application/json"])
            let big = [UInt8](repeating: UInt8(ascii: " "), count: 1_048_577)
            let tooLarge = try await client.call(.post, "/api/auth/login", raw: big, contentType: "application/json")
            #expect(tooLarge.status == 413)
            #expect(tooLarge.json == ["error": "Payload Too Large", "message": "Request body exceeds 1048576 bytes"])
            let notObject = try await client.call(.post, "/api/auth/login", json: [1, 2])
            #expect(notObject.status == 400)
            #expect(notObject.json["details"][0]["path"] == [])
            let empty = try await client.call(.post, "/api/auth/login", raw: [], contentType: nil)
            #expect(empty.status == 400)
            #expect(empty.json["error"] == "Validation error")
        }
    }

    @Test func outOfScopeGroupsAnswer501() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let r = try await client.call(.get, "/api/payments/abc")
            #expect(r.status == 501)
            #expect(r.json == ["error": "Not Implemented", "message": "Payments (Paystack) is not available in this appliance"])
        }
    }

    @Test func longPathParameterIsUnknownRoute() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let id = String(repeating: "x", count: 101)
            let r = try await client.call(.get, "/api/templates/\(id)")
            #expect(r.status == 404)
            #expect(r.json["statusCode"] == 404)
        }
    }
}
