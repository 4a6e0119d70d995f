import BotFlowCore
import BotFlowTestSupport
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing

/// behaviour.md §3 and api.md §1.13 through the router: X-Cache MISS then HIT with byte-identical bodies on every
/// cached endpoint, entries scoped to their organization, and — over a random sequence of writes — no read after a
/// write's response ever served stale.
@Suite struct CacheTests {
    @Test func everyCachedEndpointAnswersMissThenAnIdenticalHit() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            _ = try await client.connectSandbox(owner)
            let bot = try await client.call(.post, "/api/bots", json: ["templateId": "faq", "config": ["name": "Helper", "welcomeMessage": "Hi"]], token: owner.token)
            let botId = try #require(bot.json["id"].stringValue)
            let inbound = try await client.call(.post, "/webhooks/sandbox/whatsapp",
                                                json: ["to": "+27820000001", "from": "+27831110001", "text": "hello"], token: owner.token)
            let conversationId = try #require(inbound.json["conversation_id"].stringValue ?? inbound.json["conversationId"].stringValue)
            let templates = try await client.call(.get, "/api/templates")
            let templateId = try #require(templates.json["templates"][0]["id"].stringValue)
            app.deps.cache.removeAll()

            let paths = [
                "/api/bots", "/api/bots/\(botId)", "/api/bots/\(botId)/knowledge", "/api/bots/\(botId)/knowledge/stats", "/api/conversations", "/api/conversations?status=active&limit=5",
                "/api/conversations/\(conversationId)", "/api/conversations/\(conversationId)/messages",
                "/api/templates", "/api/templates/\(templateId)", "/api/templates/vertical/taxi",
            ]
            for path in paths {
                let token = path.hasPrefix("/api/templates") ? nil : owner.token
                let miss = try await client.call(.get, path, token: token)
                let hit = try await client.call(.get, path, token: token)
                #expect(miss.status == 200, "\(path)")
                #expect(miss.header("X-Cache") == "MISS", "\(path)")
                #expect(hit.header("X-Cache") == "HIT", "\(path)")
                #expect(hit.body == miss.body, "\(path)")
                #expect(hit.header("Content-Type") == "application/json; charset=utf-8")
            }
        }
    }

    @Test func entriesAreServedOnlyWithinTheirOrganization() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let a = try await client.signup(organization: "A Co")
            let b = try await client.signup(organization: "B Co")
            let bot = try await client.call(.post, "/api/bots", json: ["templateId": "faq", "config": ["name": "A bot", "welcomeMessage": "Hi"]], token: a.token)
            let botId = try #require(bot.json["id"].stringValue)
            #expect(try await client.call(.get, "/api/bots/\(botId)", token: a.token).status == 200)
            #expect(try await client.call(.get, "/api/bots/\(botId)", token: a.token).header("X-Cache") == "HIT")
            let other = try await client.call(.get, "/api/bots/\(botId)", token: b.token)
            #expect(other.status == 404 || other.status == 403)
            #expect(!other.text.contains("A bot"))
            _ = try await client.call(.get, "/api/bots", token: a.token)
            let bList = try await client.call(.get, "/api/bots", token: b.token)
            #expect(bList.header("X-Cache") == "MISS")
            #expect(bList.json["bots"].arrayValue?.isEmpty == true)
        }
    }

    @Test func cacheDisabledAnswersMissEveryTime() async throws {
        let app = try await TestAppliance.make { $0.cacheEnabled = false }
        try await app.test { client in
            for _ in 0..<2 {
                let r = try await client.call(.get, "/api/templates")
                #expect(r.header("X-Cache") == "MISS")
            }
        }
    }

    /// Random writes (bots created, renamed, deleted; customer messages; conversation status changes; agent replies;
    /// template edits by the admin) interleaved with reads of every cached endpoint. After each write, every read
    /// through the cache must equal a fresh computation (the cache cleared, then read again — which also refills it,
    /// so the next write finds every key cached and must invalidate it).
    @Test func noReadAfterAWriteIsEverStale() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let admin = try await client.signup(organization: "Admin Co")   // the first account is the appliance admin
            let owner = try await client.signup(organization: "Shop")
            _ = try await client.connectSandbox(owner)
            var rng = SplitMix64(seed: 20261130)
            var bots: [String] = []
            var conversations: [String] = []
            let templateId = try #require(try await client.call(.get, "/api/templates").json["templates"][0]["id"].stringValue)
            var customer = 0

            func reads() -> [(String, String?)] {
                var paths: [(String, String?)] = [("/api/bots", owner.token), ("/api/conversations", owner.token),
                                                  ("/api/conversations?status=active", owner.token), ("/api/templates", nil),
                                                  ("/api/templates/\(templateId)", nil), ("/api/templates/vertical/taxi", nil)]
                for id in bots { paths.append(("/api/bots/\(id)", owner.token)) }
                for id in conversations {
                    paths.append(("/api/conversations/\(id)", owner.token))
                    paths.append(("/api/conversations/\(id)/messages", owner.token))
                    paths.append(("/api/conversations/\(id)/messages?limit=2", owner.token))
                }
                return paths
            }

            func checkReads(after write: String) async throws {
                // Background work a write started (an agent reply's delivery) settles first, so both reads see one state.
    try await app.waitForJobsToSettle()
                var seen: [String: String] = [:]
                for (path, token) in reads() { seen[path] = try await client.call(.get, path, token: token).text }
                app.deps.cache.removeAll()
                for (path, token) in reads() {
                    let fresh = try await client.call(.get, path, token: token)
                    #expect(fresh.header("X-Cache") == "MISS")
                    #expect(seen[path] == fresh.text, "stale \(path) after \(write)")
                }
            }

            try await checkReads(after: "setup")
            for step in 0..<40 {
                let write: String
                switch rng.next() % 7 {
                case 0, 1:
                    let r = try await client.call(.post, "/api/bots", json: ["templateId": "faq", "config": ["name": .string("Bot \(step)"), "welcomeMessage": "Hi"]],
                                                  token: owner.token)
                    bots.append(r.json["id"].stringValue!)
                    write = "create bot"
                case 2 where !bots.isEmpty:
                    let id = bots[Int(rng.next() % UInt64(bots.count))]
                    #expect(try await client.call(.patch, "/api/bots/\(id)", json: ["name": .string("Renamed \(step)")], token: owner.token).status == 200)
                    write = "rename bot"
                case 3 where bots.count > 1:
                    let id = bots.remove(at: Int(rng.next() % UInt64(bots.count)))
                    #expect(try await client.call(.delete, "/api/bots/\(id)", token: owner.token).status == 200)
                    write = "delete bot"
                case 4 where !conversations.isEmpty:
                    let id = conversations[Int(rng.next() % UInt64(conversations.count))]
                    let status = ["active", "pending", "resolved"][Int(rng.next() % 3)]
                    _ = try await client.call(.patch, "/api/conversations/\(id)", json: ["status": .string(status)], token: owner.token)
                    write = "conversation status \(status)"
                case 5 where !conversations.isEmpty:
                    let id = conversations[Int(rng.next() % UInt64(conversations.count))]
                    _ = try await client.call(.post, "/api/conversations/\(id)/messages", json: ["content": .string("Agent \(step)")], token: owner.token)
                    write = "agent reply"
                case 6:
                    #expect(try await client.call(.patch, "/api/templates/\(templateId)", json: ["description": .string("Edited \(step)")],
                                                  token: admin.token).status == 200)
                    write = "template edit"
                default:
                    customer += Int(rng.next() % 2)
                    let r = try await client.call(.post, "/webhooks/sandbox/whatsapp", json: [
                        "to": "+27820000001", "from": .string("+2783111\(String(format: "%04d", customer))"), "text": .string("message \(step)"),
                    ], token: owner.token)
                    if let id = r.json["conversation_id"].stringValue ?? r.json["conversationId"].stringValue, !conversations.contains(id) {
                        conversations.append(id)
                    }
                    write = "customer message"
                }
                try await checkReads(after: "step \(step): \(write)")
            }
            #expect(conversations.count >= 1 && bots.count >= 1, "the random sequence exercised the endpoints")
        }
    }
}
