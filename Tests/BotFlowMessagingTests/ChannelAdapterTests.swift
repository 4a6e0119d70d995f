import BotFlowCore
import BotFlowMessaging
import BotFlowTestSupport
import Foundation
import Testing

/// The HTTP adapters against a local fake provider (behaviour §6.7). Serialized: one provider per test, but the
/// tests share the process-wide HTTP client and are quick anyway.
@Suite(.serialized) struct ChannelAdapterTests {
    static let metaCredentials: JSONObject = ["accessToken": "EAAG-meta-token", "phoneNumberId": "106540352242922"]
    static let birdCredentials: JSONObject = ["accessKey": "bird-access-key", "workspaceId": "ws-1", "channelId": "ch-2"]
    static let twilioCredentials: JSONObject = ["accountSid": "AC0123456789abcdef", "authToken": "twilio-auth-token"]

    static func send(_ channel: String, _ credentials: JSONObject, text: String = "Hello there") -> OutboundSend {
        OutboundSend(channel: channel, accountPhoneNumber: "+14155238886", recipient: "+27821234567", text: text, credentials: credentials)
    }

    static func adapters(_ provider: FakeProvider, timeout: Int = 30) -> ChannelAdapters {
        // Generous: the whole suite runs in parallel on 2 cores; only the timeout test passes a short one.
        var settings = Settings()
        settings.metaGraphBaseURL = provider.baseURL + "/v21.0"
        settings.birdAPIBaseURL = provider.baseURL
        settings.twilioAPIBaseURL = provider.baseURL + "/"
        settings.publicBaseURL = "https://bots.example.com"
        settings.outboundTimeoutSeconds = timeout
        return ChannelAdapters(settings: settings)
    }

    // MARK: Exact requests

    @Test func metaRequest() async throws {
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let outcome = await Self.adapters(provider).send(Self.send("meta", Self.metaCredentials, text: "Hi \"Sipho\"\nSee you at 9"))
        #expect(outcome == .accepted(providerMessageId: "wamid.TEST"))
        let request = try #require(provider.requests.first)
        #expect(provider.requests.count == 1)
        #expect(request.method == "POST" && request.path == "/v21.0/106540352242922/messages")
        #expect(request.header("Authorization") == "Bearer EAAG-meta-token")
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.text == #"{"messaging_product":"whatsapp","recipient_type":"individual","to":"27821234567","type":"text","#
            + #""text":{"preview_url":false,"body":"Hi \"Sipho\"\nSee you at 9"}}"#)
    }

    @Test func birdRequest() async throws {
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let outcome = await Self.adapters(provider).send(Self.send("bird", Self.birdCredentials))
        #expect(outcome == .accepted(providerMessageId: "bird-msg-1"))
        let request = try #require(provider.requests.first)
        #expect(request.method == "POST" && request.path == "/workspaces/ws-1/channels/ch-2/messages")
        #expect(request.header("authorization") == "AccessKey bird-access-key")
        #expect(request.header("content-type") == "application/json")
        #expect(request.text == #"{"receiver":{"contacts":[{"identifierValue":"+27821234567"}]},"body":{"type":"text","text":{"text":"Hello there"}}}"#)
    }

    @Test func twilioRequest() async throws {
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let outcome = await Self.adapters(provider).send(Self.send("twilio", Self.twilioCredentials, text: "Hello & welcome"))
        #expect(outcome == .accepted(providerMessageId: "SM123"))
        let request = try #require(provider.requests.first)
        #expect(request.method == "POST" && request.path == "/2010-04-01/Accounts/AC0123456789abcdef/Messages.json")
        let basic = Data("AC0123456789abcdef:twilio-auth-token".utf8).base64EncodedString()
        #expect(request.header("Authorization") == "Basic \(basic)")
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
        #expect(request.text == "From=whatsapp%3A%2B14155238886&To=whatsapp%3A%2B27821234567&Body=Hello+%26+welcome"
            + "&StatusCallback=https%3A%2F%2Fbots.example.com%2Fwebhooks%2Ftwilio%2Fwhatsapp")
        #expect(request.form.map(\.0) == ["From", "To", "Body", "StatusCallback"])
        #expect(request.form.map(\.1) == ["whatsapp:+14155238886", "whatsapp:+27821234567", "Hello & welcome",
                                          "https://bots.example.com/webhooks/twilio/whatsapp"])
    }

    @Test func sandboxNeedsNoIO() async throws {
        let outcome = await ChannelAdapters(settings: Settings()).send(Self.send("sandbox", [:]))
        guard case .accepted(let id) = outcome else { Issue.record("not accepted: \(outcome)"); return }
        #expect(id.hasPrefix("sandbox_") && Identifiers.isUUID(String(id.dropFirst("sandbox_".count))))
        #expect(await ChannelAdapters(settings: Settings()).send(Self.send("pigeon", [:])) == .permanent("Unknown channel: pigeon"))
    }

    // MARK: Outcome classification

    @Test(arguments: [503, 500, 502, 429, 408])
    func retryableStatuses(status: Int) async throws {
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let adapters = Self.adapters(provider)
        for (channel, credentials) in [("meta", Self.metaCredentials), ("bird", Self.birdCredentials), ("twilio", Self.twilioCredentials)] {
            provider.failNext(1, status: status, body: #"{"error":{"message":"Service temporarily unavailable"}}"#)
            let outcome = await adapters.send(Self.send(channel, credentials))
            guard case .retryable(let message) = outcome else { Issue.record("\(channel) \(status): \(outcome)"); continue }
            #expect(message.contains("HTTP \(status)") && message.contains("Service temporarily unavailable"))
            #expect(!message.contains("EAAG-meta-token") && !message.contains("bird-access-key") && !message.contains("twilio-auth-token"))
        }
    }

    @Test(arguments: [400, 401, 403, 404, 422])
    func permanentStatuses(status: Int) async throws {
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let adapters = Self.adapters(provider)
        let metaError = #"{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047}}"#
        for (channel, credentials) in [("meta", Self.metaCredentials), ("bird", Self.birdCredentials), ("twilio", Self.twilioCredentials)] {
            provider.failNext(1, status: status, body: metaError)
            let outcome = await adapters.send(Self.send(channel, credentials))
            guard case .permanent(let message) = outcome else { Issue.record("\(channel) \(status): \(outcome)"); continue }
            #expect(message.contains("HTTP \(status)") && message.contains("Re-engagement message"))
        }
    }

    @Test func failuresThenRecovery() async throws {
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let adapters = Self.adapters(provider)
        provider.failNext(2, status: 503)
        var outcomes: [DeliveryOutcome] = []
        for _ in 0..<3 { outcomes.append(await adapters.send(Self.send("meta", Self.metaCredentials))) }
        #expect(outcomes.prefix(2).allSatisfy { if case .retryable = $0 { true } else { false } })
        #expect(outcomes[2] == .accepted(providerMessageId: "wamid.TEST"))
        #expect(provider.requests.count == 3)
    }

    @Test func errorExcerptIsCapped() async throws {
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        provider.failNext(1, status: 400, body: String(repeating: "x", count: 5000))
        guard case .permanent(let message) = await Self.adapters(provider).send(Self.send("bird", Self.birdCredentials)) else {
            Issue.record("not permanent"); return
        }
        #expect(message.count <= "Bird HTTP 400: ".count + 300)
        #expect(message.hasSuffix(String(repeating: "x", count: 300)))
    }

    @Test func successWithoutIdIsPermanent() async throws {
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let adapters = Self.adapters(provider)
        provider.enqueue(.init(status: 200, body: "<html>ok</html>", contentType: "text/html"))
        guard case .permanent = await adapters.send(Self.send("meta", Self.metaCredentials)) else { Issue.record("unparseable body"); return }
        provider.enqueue(.init(status: 200, body: #"{"messages":[]}"#))
        guard case .permanent = await adapters.send(Self.send("meta", Self.metaCredentials)) else { Issue.record("no id"); return }
        provider.setReply(.init(status: 201, body: #"{"sid":""}"#), forPath: "/2010-04-01/Accounts/AC0123456789abcdef/Messages.json")
        guard case .permanent = await adapters.send(Self.send("twilio", Self.twilioCredentials)) else { Issue.record("empty sid"); return }
    }

    @Test func connectionRefusedIsRetryable() async throws {
        // Start and stop a provider to get a loopback port that nobody listens on.
        let provider = try await FakeProvider.start()
        let base = provider.baseURL
        provider.stop()
        try await Task.sleep(for: .milliseconds(200))
        var settings = Settings()
        settings.metaGraphBaseURL = base
        settings.birdAPIBaseURL = base
        settings.twilioAPIBaseURL = base
        // AsyncHTTPClient keeps retrying a refused connect until the deadline, so keep the deadline short.
        settings.outboundTimeoutSeconds = 1
        let adapters = ChannelAdapters(settings: settings)
        for (channel, credentials) in [("meta", Self.metaCredentials), ("bird", Self.birdCredentials), ("twilio", Self.twilioCredentials)] {
            let outcome = await adapters.send(Self.send(channel, credentials))
            guard case .retryable(let message) = outcome else { Issue.record("\(channel): \(outcome)"); continue }
            #expect(!message.contains("EAAG-meta-token") && !message.contains("bird-access-key") && !message.contains("twilio-auth-token"))
        }
    }

    @Test func timeoutIsRetryable() async throws {
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        provider.enqueue(.init(status: 200, body: #"{"id":"late"}"#, delay: .seconds(3)))
        let outcome = await Self.adapters(provider, timeout: 1).send(Self.send("bird", Self.birdCredentials))
        #expect(outcome == .retryable("Bird request failed: timed out"))
    }

    @Test func missingCredentialsArePermanentWithoutIO() async throws {
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        let adapters = Self.adapters(provider)
        #expect(await adapters.send(Self.send("meta", ["phoneNumberId": "1"])) == .permanent("Missing credentials: accessToken"))
        #expect(await adapters.send(Self.send("meta", ["accessToken": "t", "phoneNumberId": ""])) == .permanent("Missing credentials: phoneNumberId"))
        #expect(await adapters.send(Self.send("bird", ["accessKey": "k"])) == .permanent("Missing credentials: workspaceId, channelId"))
        #expect(await adapters.send(Self.send("twilio", ["accountSid": "AC1", "authToken": 5])) == .permanent("Missing credentials: authToken"))
        #expect(await adapters.send(Self.send("twilio", [:])) == .permanent("Missing credentials: accountSid, authToken"))
        #expect(provider.requests.isEmpty)
    }
}
