import BotFlowCore
import BotFlowDomain
import BotFlowMessaging
import HTTPTypes
import Hummingbird
import NIOCore

/// Provider webhooks WH1–WH6 (api.md §4.14). Signatures are checked by `WebhookService` before anything is stored.
struct WebhookController {
    let webhooks: WebhookService
    let body: JSONBodyReader
    let publicBaseURL: String

    func addRoutes(public router: Router<AppRequestContext>, authenticated: RouterGroup<AppRequestContext>) {
        router.post("/webhooks/bird/whatsapp") { request, _ in
            Self.response(await webhooks.bird(body: try await body.read(request)))
        }
        router.post("/webhooks/twilio/whatsapp") { request, _ in
            let raw = try await body.collect(request, limit: body.limit)
            let contentType = request.headers[.contentType] ?? ""
            let parameters: [(String, String)]
            let parsed: TwilioPayload.Outcome
            if contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") {
                parameters = FormURLEncoded.parse(raw.readableBytesView)
                parsed = TwilioPayload.parse(parameters)
            } else if raw.readableBytes == 0 || JSONBodyReader.isJSON(contentType) {
                let json = raw.readableBytes == 0 ? JSON.object([:]) : try Self.parseJSON(raw)
                parameters = TwilioPayload.parameters(json: json) ?? []
                parsed = TwilioPayload.parse(json: json)
            } else {
                throw APIErrorResponse(.unsupportedMediaType)
            }
            let url = publicBaseURL + request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            let signature = request.headers[HTTPField.Name("X-Twilio-Signature")!]
            return Self.response(await webhooks.twilio(parameters: parameters, parsed: parsed, url: url, signature: signature))
        }
        router.get("/webhooks/meta/whatsapp") { request, _ in
            let q = request.queryDictionary
            return Self.response(await webhooks.metaVerify(mode: q["hub.mode"], token: q["hub.verify_token"], challenge: q["hub.challenge"]))
        }
        router.post("/webhooks/meta/whatsapp") { request, _ in
            let raw = try await body.collect(request, limit: body.limit)
            if raw.readableBytes > 0, !JSONBodyReader.isJSON(request.headers[.contentType]) { throw APIErrorResponse(.unsupportedMediaType) }
            let signature = request.headers[HTTPField.Name("X-Hub-Signature-256")!]
            return Self.response(await webhooks.meta(rawBody: Array(raw.readableBytesView), signature: signature))
        }
        authenticated.post("/webhooks/sandbox/whatsapp") { request, context in
            let identity = try context.requireIdentity()
            let orgId = try identity.organizationId()
            let result = try await webhooks.sandbox(body: try await body.read(request), organizationId: orgId)
            return Response.json(["status": "ok", "conversation_id": .string(result.conversationId), "message_id": .string(result.messageId),
                                  "duplicate": .bool(result.duplicate)])
        }
        router.post("/webhooks/stripe") { request, _ in
            _ = try await body.collect(request, limit: body.limit)
            return Response.json(["received": true])
        }
    }

    static func parseJSON(_ buffer: ByteBuffer) throws -> JSON {
        do { return try JSONParser.parse(buffer.readableBytesView) } catch { throw APIErrorResponse(.invalidJSON) }
    }

    static func response(_ reply: WebhookReply) -> Response {
        switch reply {
        case .json(let status, let json): return .json(json, status: .init(code: status))
        case .xml(let xml): return .bytes(Array(xml.utf8), contentType: "text/xml")
        case .text(let text): return .bytes(Array(text.utf8), contentType: "text/plain")
        }
    }
}
