import BotFlowAPI
import BotFlowCore
import BotFlowSecurity
import BotFlowTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// behaviour.md §2 (order), §4 (rate limits), §5.1 (headers); api.md §1.10 (rate-limit headers and bodies),
/// §1.11 (CORS), §1.14 (security headers on every response, preflights and refusals included).
@Suite struct RateLimitCORSTests {
    func app(_ clock: ManualClock, _ configure: @escaping (inout Settings) -> Void) async throws -> TestAppliance {
        try await TestAppliance.make(clock: clock, configure: configure)
    }

    @Test func authBucketRefusesTheSixthAttemptUntilTheWindowCloses() async throws {
        let clock = ManualClock()
        let app = try await app(clock) { $0.rateLimitAuth = 5 }
        try await app.test { client in
            for n in 1...5 {
                let r = try await client.call(.post, "/api/auth/login", json: ["email": "a@example.com", "password": "wrong password"])
                #expect(r.status == 401)
                #expect(r.header("x-ratelimit-limit") == "5")
                #expect(r.header("x-ratelimit-remaining") == "\(5 - n)")
                #expect(r.header("x-ratelimit-reset") == "60")
            }
            clock.advance(seconds: 20)
            let refused = try await client.call(.post, "/api/auth/login", json: ["email": "a@example.com", "password": "wrong password"])
            #expect(refused.status == 429)
            #expect(refused.json == ["error": "Too many authentication attempts. Please wait 1 minute.", "statusCode": 429, "retryAfter": 40])
            #expect(refused.header("retry-after") == "40")
            #expect(refused.header("x-ratelimit-remaining") == "0")
            #expect(refused.header("x-ratelimit-reset") == "40")
            #expect(refused.header("X-Frame-Options") == "DENY", "security headers on a 429")
            // Other buckets are separate: the global bucket is disabled here (no headers).
            let other = try await client.call(.get, "/api/templates")
            #expect(other.status == 200 && other.header("x-ratelimit-limit") == nil)
            clock.advance(seconds: 40)
            let again = try await client.call(.post, "/api/auth/login", json: ["email": "a@example.com", "password": "wrong password"])
            #expect(again.status == 401 && again.header("x-ratelimit-remaining") == "4")
        }
    }

    @Test func globalAndWebhookBucketsHaveTheirOwnBodiesAndCountErrorsToo() async throws {
        let clock = ManualClock()
        let app = try await app(clock) { $0.rateLimitGlobal = 2; $0.rateLimitWebhook = 1 }
        try await app.test { client in
            let first = try await client.call(.get, "/api/no-such-route")
            #expect(first.status == 404 && first.header("x-ratelimit-remaining") == "1", "a 404 is counted and carries the headers")
            #expect(try await client.call(.get, "/health").status == 200)
            let refused = try await client.call(.get, "/health")
            #expect(refused.status == 429)
            #expect(refused.json == ["error": "Too Many Requests", "message": "Rate limit exceeded, retry in 60 seconds", "statusCode": 429,
                                     "retryAfter": 60])
            #expect(try await client.call(.post, "/webhooks/stripe", json: [:]).status != 429)
            let hook = try await client.call(.post, "/webhooks/stripe", json: [:])
            #expect(hook.status == 429)
            #expect(hook.json == ["error": "Webhook rate limit exceeded", "statusCode": 429, "retryAfter": 60])
        }
    }

    @Test func preflightsAreNotCountedAndDisallowedOriginsAreRefused() async throws {
        let clock = ManualClock()
        let app = try await app(clock) { $0.rateLimitGlobal = 1; $0.corsOrigins = ["https://shop.example.com"] }
        try await app.test { client in
            for _ in 0..<3 {
                let preflight = try await client.call(.options, "/api/bots", headers: [
                    "Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST",
                ])
                #expect(preflight.status == 204)
                #expect(preflight.header("Access-Control-Allow-Origin") == "https://shop.example.com")
                #expect(preflight.header("Access-Control-Allow-Methods") == "GET, POST, PUT, PATCH, DELETE, OPTIONS")
                #expect(preflight.header("Access-Control-Allow-Headers") == "Content-Type, Authorization, X-Request-Id")
                #expect(preflight.header("Access-Control-Max-Age") == "86400")
                #expect(preflight.header("Access-Control-Allow-Credentials") == "true")
                #expect(preflight.header("Vary") == "Origin")
                #expect(preflight.header("x-ratelimit-limit") == nil)
                #expect(preflight.header("Content-Security-Policy") != nil && preflight.header("X-Request-Id") != nil)
            }
            let actual = try await client.call(.get, "/api/templates", headers: ["Origin": "http://localhost:5173"])
            #expect(actual.status == 200)
            #expect(actual.header("Access-Control-Allow-Origin") == "http://localhost:5173")
            #expect(actual.header("Access-Control-Expose-Headers") ==
                    "Content-Length, X-Request-Id, X-Cache, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After")

            let evil = try await client.call(.get, "/api/templates", headers: ["Origin": "https://evil.example.net"])
            #expect(evil.status == 403)
            #expect(evil.json == ["error": "Forbidden", "message": "Origin not allowed by CORS"])
            #expect(evil.header("Access-Control-Allow-Origin") == nil)
            #expect(evil.header("Strict-Transport-Security") != nil)
            let evilPreflight = try await client.call(.options, "/api/bots", headers: [
                "Origin": "http://localhost.evil.net", "Access-Control-Request-Method": "GET",
            ])
            #expect(evilPreflight.status == 403)
        }
    }

    @Test(arguments: [
        ("http://localhost:3000", true), ("http://localhost", true), ("https://127.0.0.1:8443", true), ("http://LOCALHOST:3000", true),
        ("http://localhost.evil.net", false), ("http://127.0.0.1.nip.io", false), ("ftp://localhost", false),
        ("http://localhost:", false), ("http://localhost:80a", false), ("https://app.botflow.example", true),
        ("https://app.botflow.example/", true), ("https://other.botflow.example", false),
    ])
    func originAllowList(_ origin: String, _ allowed: Bool) async throws {
        let app = try await TestAppliance.make { $0.corsOrigins = ["https://app.botflow.example"] }
        try await app.test { client in
            let r = try await client.call(.get, "/health", headers: ["Origin": origin])
            #expect((r.status == 200) == allowed, "\(origin)")
        }
    }

    @Test func anAllowedOriginKeepsItsCORSHeadersOnErrors() async throws {
        let app = try await TestAppliance.make { $0.rateLimitGlobal = 10 }
        try await app.test { client in
            let r = try await client.call(.get, "/api/bots", headers: ["Origin": "http://localhost:3000"])
            #expect(r.status == 401)
            #expect(r.header("Access-Control-Allow-Origin") == "http://localhost:3000")
            #expect(r.header("x-ratelimit-limit") == "10")
        }
    }

    @Test func bucketsIgnoreEmptyPathSegmentsLikeTheRouter() {
        #expect(RateLimiter.bucket(forPath: "/api/auth/login") == .auth)
        #expect(RateLimiter.bucket(forPath: "//api//auth/login") == .auth)
        #expect(RateLimiter.bucket(forPath: "/api//auth//signup") == .auth)
        #expect(RateLimiter.bucket(forPath: "//webhooks/meta/whatsapp") == .webhook)
        #expect(RateLimiter.bucket(forPath: "/api/bots") == .global)
    }

    @Test func limiterMemoryIsBoundedPerBucket() {
        let limiter = RateLimiter(limits: [.global: 5], windowSeconds: 60, maxKeys: 100, clock: ManualClock())
        for i in 0..<1_000 { _ = limiter.check(.global, key: "10.0.\(i / 256).\(i % 256)") }
        #expect(limiter.keyCount(.global) <= 100)
        #expect(limiter.check(.auth, key: "x") == nil, "a bucket without a limit is disabled")
    }

    @Test func clientKeysFollowTrustedProxiesOnly() {
        let addresses = ClientAddress(trustedProxies: ["10.0.0.0/8", "::1"], allowlist: ["192.168.1.7", "fd00::/8"])
        #expect(addresses.clientKey(peer: "203.0.113.9", forwardedFor: "1.2.3.4") == "203.0.113.9", "untrusted peer: header ignored")
        #expect(addresses.clientKey(peer: "10.1.2.3", forwardedFor: "1.2.3.4, 10.9.9.9") == "1.2.3.4", "right-most untrusted hop")
        #expect(addresses.clientKey(peer: "10.1.2.3", forwardedFor: "5.5.5.5, 1.2.3.4") == "1.2.3.4")
        #expect(addresses.clientKey(peer: "::1", forwardedFor: "2001:db8::1") == "2001:db8::1")
        #expect(addresses.clientKey(peer: "10.1.2.3", forwardedFor: nil) == "10.1.2.3")
        #expect(addresses.isAllowlisted("192.168.1.7") && !addresses.isAllowlisted("192.168.1.8"))
        #expect(addresses.isAllowlisted("fd12:3456::1") && !addresses.isAllowlisted("fe80::1"))
    }

    @Test func liveServerLimitsByPeerAndAllowlist() async throws {
        let app = try await TestAppliance.make { $0.rateLimitGlobal = 2; $0.trustedProxies = ["127.0.0.1"] }
        let application = buildApplication(app.deps)
        try await application.test(.live) { client in
            // Behind the trusted proxy (the test client is 127.0.0.1), each forwarded client has its own window.
            for ip in ["198.51.100.1", "198.51.100.2"] {
                for _ in 0..<2 {
                    let r = try await client.call(.get, "/health", headers: ["X-Forwarded-For": ip])
                    #expect(r.status == 200)
                }
                let refused = try await client.call(.get, "/health", headers: ["X-Forwarded-For": ip])
                #expect(refused.status == 429)
            }
        }
        let allowed = try await TestAppliance.make { $0.rateLimitGlobal = 1; $0.rateLimitAllowlist = ["127.0.0.1", "::1"] }
        try await buildApplication(allowed.deps).test(.live) { client in
            for _ in 0..<5 {
                let r = try await client.call(.get, "/health")
                #expect(r.status == 200 && r.header("x-ratelimit-limit") == nil)
            }
        }
    }
}
