import BotFlowCore
import BotFlowTestSupport
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing

/// api.md §1.4: two organizations; every id-bearing endpoint called by organization B with organization A's ids
/// (organization, bots, conversations, messages, WhatsApp accounts). B never gets A's data, never changes it, and
/// gets the status the spec says (404 with a resource-specific body — existence is never leaked). A's own reads
/// before and after B's attempts are byte-identical.
@Suite struct TenantIsolationTests {
    @Test func anotherOrganizationsIdsAreNeverReadOrWritten() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let a = try await client.signup(organization: "Alpha Shuttles")
            let b = try await client.signup(organization: "Bravo Salon")
            let accountA = try await client.connectSandbox(a, phone: "+27820000001")
            _ = try await client.connectSandbox(b, phone: "+27820000002")
            let templates = try await client.call(.get, "/api/templates/vertical/taxi")
            let taxi = try #require(templates.json["templates"][0]["id"].stringValue)
            let created = try await client.call(.post, "/api/bots/create-from-template", json: [
                "template_id": .string(taxi), "organization_id": .string(a.organizationId), "whatsapp_account_id": .string(accountA),
                "bot_name": "Alpha Secret Bot",
                "field_values": ["business_name": "Alpha Secret Shuttles", "service_area": "Cape Town", "vehicle_types": ["Sedan (4 seater)"],
                                 "pricing_model": "Per kilometer", "operating_hours": "24/7", "booking_phone": "+27 21 555 1234"],
            ], token: a.token)
            #expect(created.status == 201)
            let botA = try #require(created.json["bot"]["id"].stringValue)
            let inbound = try await client.call(.post, "/webhooks/sandbox/whatsapp", json: [
                "to": "+27820000001", "from": "+27831234567", "text": "alpha secret question", "profile_name": "Alpha Customer",
            ], token: a.token)
            let conversationA = try #require(inbound.json["conversation_id"].stringValue)
            let messageA = try #require(inbound.json["message_id"].stringValue)
            try await app.waitForJobsToSettle()

            let secrets = ["Alpha Secret", "alpha secret", "+27831234567", "Alpha Customer", accountA, conversationA, messageA]
            let aReads = ["/api/organizations/\(a.organizationId)", "/api/bots", "/api/bots/\(botA)", "/api/conversations",
                          "/api/conversations/\(conversationA)", "/api/conversations/\(conversationA)/messages", "/api/whatsapp/accounts"]
            func snapshot() async throws -> [String] {
                var out: [String] = []
                for path in aReads { out.append(try await client.call(.get, path, token: a.token).text) }
                return out
            }
            let before = try await snapshot()

            struct Attempt { let method: HTTPRequest.Method; let path: String; let body: JSON?; let status: Int; let error: String? }
            let attempts: [Attempt] = [
                .init(method: .get, path: "/api/organizations/\(a.organizationId)", body: nil, status: 404, error: "Organization not found"),
                .init(method: .patch, path: "/api/organizations/\(a.organizationId)", body: ["name": "Hijacked"], status: 404,
                      error: "Organization not found"),
                .init(method: .get, path: "/api/organizations/\(a.organizationId)/usage", body: nil, status: 404, error: "Organization not found"),
                .init(method: .get, path: "/api/bots/\(botA)", body: nil, status: 404, error: "Bot not found"),
                .init(method: .patch, path: "/api/bots/\(botA)", body: ["name": "Hijacked"], status: 404, error: "Bot not found"),
                .init(method: .delete, path: "/api/bots/\(botA)", body: nil, status: 404, error: "Bot not found"),
                .init(method: .get, path: "/api/conversations/\(conversationA)", body: nil, status: 404, error: "Conversation not found"),
                .init(method: .patch, path: "/api/conversations/\(conversationA)", body: ["status": "resolved"], status: 404,
                      error: "Conversation not found"),
                .init(method: .get, path: "/api/conversations/\(conversationA)/messages", body: nil, status: 404, error: "Conversation not found"),
                .init(method: .post, path: "/api/conversations/\(conversationA)/messages", body: ["content": "hijack"], status: 404,
                      error: "Conversation not found"),
                .init(method: .post, path: "/api/whatsapp/send", body: ["to": "+27831234567", "content": "hijack",
                                                                         "whatsapp_account_id": .string(accountA)], status: 404,
                      error: "WhatsApp account not found"),
                .init(method: .post, path: "/webhooks/sandbox/whatsapp", body: ["whatsapp_account_id": .string(accountA), "from": "+27839999999",
                                                                                 "text": "spoofed customer"], status: 404, error: nil),
                .init(method: .post, path: "/api/bots/create-from-template", body: [
                    "template_id": .string(taxi), "organization_id": .string(a.organizationId), "whatsapp_account_id": .string(accountA),
                    "bot_name": "Intruder",
                    "field_values": ["business_name": "X", "service_area": "Y", "vehicle_types": ["Sedan (4 seater)"], "pricing_model": "Per kilometer",
                                     "operating_hours": "24/7", "booking_phone": "+27 21 555 0000"],
                ], status: 404, error: "Organization not found"),
                .init(method: .post, path: "/api/bots", body: ["templateId": "faq", "config": ["name": "Intruder", "welcomeMessage": "Hi"],
                                                               "whatsapp_account_id": .string(accountA)], status: 404, error: "WhatsApp account not found"),
            ]
            for attempt in attempts {
                let r = try await client.call(attempt.method, attempt.path, json: attempt.body, token: b.token)
                let label = "\(attempt.method) \(attempt.path)"
                #expect(r.status == attempt.status, "\(label): \(r.status) \(r.text)")
                if let error = attempt.error { #expect(r.json["error"].stringValue == error, "\(label): \(r.text)") }
                for secret in secrets where attempt.body.map({ !JSONWriter.string($0).contains(secret) }) ?? true {
                    #expect(!r.text.contains(secret), "\(label) leaked \(secret)")
                }
            }

            // B's own lists stay B's, even filtered by A's ids.
            let bBots = try await client.call(.get, "/api/bots", token: b.token)
            #expect(bBots.json["bots"].arrayValue?.isEmpty == true)
            let filtered = try await client.call(.get, "/api/conversations?bot_id=\(botA)", token: b.token)
            #expect(filtered.status == 200 && filtered.json["conversations"].arrayValue?.isEmpty == true)
            let byPhone = try await client.call(.get, "/api/conversations?customer_phone=%2B27831234567", token: b.token)
            #expect(byPhone.json["conversations"].arrayValue?.isEmpty == true)
            let accounts = try await client.call(.get, "/api/whatsapp/accounts", token: b.token)
            #expect(!accounts.text.contains(accountA))

            try await app.waitForJobsToSettle()
            #expect(try await snapshot() == before, "organization A's data changed")
            let rows = try await app.database.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM messages WHERE organization_id = ? AND content LIKE '%hijack%'", arguments: [a.organizationId])!
            }
            #expect(rows == 0)
        }
    }
}
