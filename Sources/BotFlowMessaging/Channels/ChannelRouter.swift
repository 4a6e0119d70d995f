import AsyncHTTPClient
import BotFlowCore
import NIOCore

/// One adapter per channel name (`meta`, `bird`, `twilio`, `sandbox`), as the `deliver` job picks them (behaviour §6.7).
public struct ChannelAdapters: Sendable {
    public private(set) var adapters: [String: any ChannelAdapter]

    /// The production set: provider base URLs, `PUBLIC_BASE_URL` (Twilio status callbacks) and
    /// `OUTBOUND_TIMEOUT_SECONDS` from the settings.
    public init(settings: Settings, client: HTTPClient = .shared) {
        let timeout = settings.outboundTimeoutSeconds
        adapters = [
            "meta": MetaChannel(baseURL: settings.metaGraphBaseURL, client: client, timeoutSeconds: timeout),
            "bird": BirdChannel(baseURL: settings.birdAPIBaseURL, client: client, timeoutSeconds: timeout),
            "twilio": TwilioChannel(baseURL: settings.twilioAPIBaseURL,
                                    statusCallbackURL: settings.effectivePublicBaseURL + "/webhooks/twilio/whatsapp",
                                    client: client, timeoutSeconds: timeout),
            "sandbox": SandboxChannel(),
        ]
    }

    /// Any set (tests swap in recording adapters).
    public init(adapters: [String: any ChannelAdapter]) { self.adapters = adapters }

    public subscript(channel: String) -> (any ChannelAdapter)? { adapters[channel] }

    /// Sends through the adapter of `message.channel`; an unknown channel can never succeed, so it is permanent.
    public func send(_ message: OutboundSend) async -> DeliveryOutcome {
        guard let adapter = adapters[message.channel] else { return .permanent("Unknown channel: \(message.channel)") }
        return await adapter.send(message)
    }
}

/// The request/classification plumbing the HTTP adapters share.
enum ProviderHTTP {
    /// Longest provider error text kept in `outbox.last_error`.
    static let excerptLimit = 300
    /// Provider answers are tiny; anything bigger is not a send response.
    static let maxResponseBytes = 1 << 20

    /// The credential values for `keys`, or `permanent("Missing credentials: a, b")` naming only the key names.
    static func credentials(_ keys: [String], in credentials: JSONObject) -> Result<[String], PermanentFailure> {
        var values: [String] = []
        var missing: [String] = []
        for key in keys {
            if let v = credentials[key]?.stringValue, !v.isEmpty { values.append(v) } else { missing.append(key) }
        }
        return missing.isEmpty ? .success(values) : .failure(PermanentFailure(message: "Missing credentials: " + missing.joined(separator: ", ")))
    }

    struct PermanentFailure: Error { let message: String }

    /// POSTs `body` and classifies the answer (behaviour §6.7): 2xx with an id → accepted; network error, timeout,
    /// 408, 429, 5xx → retryable; other statuses → permanent; a 2xx without a readable id → permanent (resending
    /// could duplicate a message the provider may have taken).
    static func post(
        provider: String, url: String, headers: [(String, String)], body: [UInt8], client: HTTPClient, timeoutSeconds: Int,
        messageId: (JSON) -> String?
    ) async -> DeliveryOutcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))

        let status: Int
        let responseBody: [UInt8]
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(timeoutSeconds)))
            status = Int(response.status.code)
            responseBody = Array(buffer: try await response.body.collect(upTo: maxResponseBytes))
        } catch {
            // The error text never contains credentials: they travel in headers and bodies, not in the URL.
            return .retryable("\(provider) request failed: \(describe(error))")
        }

        switch status {
        case 200..<300:
            guard let json = try? JSONParser.parse(responseBody), let id = messageId(json), !id.isEmpty else {
                return .permanent("\(provider) HTTP \(status) without a message id: \(excerpt(responseBody))")
            }
            return .accepted(providerMessageId: id)
        case 408, 429, 500..<600:
            return .retryable("\(provider) HTTP \(status): \(excerpt(responseBody))")
        default:
            return .permanent("\(provider) HTTP \(status): \(excerpt(responseBody))")
        }
    }

    /// At most `excerptLimit` characters of the provider's body, whitespace-trimmed.
    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body, as: UTF8.self).trimmingWhitespace()
        if text.isEmpty { return "(empty body)" }
        return String(text.prefix(excerptLimit))
    }

    private static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout: return "timed out"
            default: return String(describing: e)
            }
        }
        return String(describing: error)
    }

    /// A URL path segment with everything but RFC 3986 unreserved characters percent-encoded, so an id from the
    /// credentials cannot change the path.
    static func pathSegment(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(b)
            default:
                out.append(contentsOf: [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `base` without a trailing slash, so `base + "/path"` never doubles it.
    static func trimmed(_ base: String) -> String {
        var b = base
        while b.hasSuffix("/") { b.removeLast() }
        return b
    }
}
