import BotFlowCore
import BotFlowDomain
import BotFlowSecurity
import BotFlowStorage
import GRDB
import Logging

/// What a webhook answers: JSON, TwiML or plain text (api.md §4.14).
public enum WebhookReply: Sendable, Equatable {
    case json(Int, JSON)
    case xml(String)
    case text(String)

    static let ok = WebhookReply.json(200, ["status": "ok"])
    static func ok(_ message: String) -> WebhookReply { .json(200, ["status": "ok", "message": .string(message)]) }
    static let invalidPayload = WebhookReply.json(400, ["error": "Invalid webhook payload"])
    static let invalidSignature = WebhookReply.json(403, ["error": "Invalid signature"])
    static let processingFailed = WebhookReply.json(500, ["error": "Webhook processing failed"])
}

/// Provider webhooks WH1–WH6: signatures first, then the durable store, then the acknowledgement.
public struct WebhookService: Sendable {
    let database: AppDatabase
    let settings: Settings
    let credentials: CredentialCipher
    let ingestor: InboundIngestor
    let statuses: StatusUpdater
    let logger: Logger
    let notify: @Sendable (PipelineEvent) -> Void
    /// Told the organization of every webhook routed to one of its accounts (usage counters, behaviour §10.6).
    public var routed: @Sendable (String) -> Void = { _ in }

    public init(runtime: MessagingRuntime, database: AppDatabase, settings: Settings, credentials: CredentialCipher, logger: Logger) {
        self.database = database; self.settings = settings; self.credentials = credentials
        ingestor = runtime.ingestor; statuses = runtime.statuses; self.logger = logger
        notify = { [observers = runtime.observers] in observers.publish($0) }
    }

    // MARK: WH1 Bird

    public func bird(body: JSON) async -> WebhookReply {
        switch BirdPayload.parse(body) {
        case .ignored: return .ok
        case .outboundSkipped: return .ok("Outbound message, skipping")
        case .invalid: return .invalidPayload
        case .message(let message):
            switch await store(message) {
            case .success(.unknownAccount): return .ok("Unknown channel")
            case .success(.stored): return .ok
            case .failure: return .processingFailed
            }
        }
    }

    // MARK: WH2 Twilio

    /// `parameters` are the form fields (or a JSON body's top-level strings); `url` is PUBLIC_BASE_URL + path + query.
    public func twilio(parameters: [(String, String)], parsed: TwilioPayload.Outcome, url: String, signature: String?) async -> WebhookReply {
        guard let to = TwilioPayload.accountPhoneNumber(parameters) else { return .invalidPayload }
        // A status callback for an outbound message has the business number in `From` (the customer is `To`).
        let from = parameters.first { $0.0 == "From" }.map { normalisePhone($0.1) }
        let isStatusCallback: Bool
        if case .noContent(let status) = parsed, status != nil { isStatusCallback = true } else { isStatusCallback = false }
        let account = try? await database.read { db -> WhatsAppAccountRecord? in
            if let a = try WhatsAppAccountRepository.find(db, phoneNumber: normalisePhone(to)) { return a }
            return isStatusCallback ? try from.flatMap { try WhatsAppAccountRepository.find(db, phoneNumber: $0) } : nil
        }
        guard let account = account ?? nil, account.status != "suspended", account.status != "disconnected" else {
            return .ok("Unknown account")
        }
        if let authToken = secret(account, "authToken"), !authToken.isEmpty {
            guard WebhookSignatures.verifyTwilio(authToken: authToken, url: url, parameters: parameters, header: signature) else {
                return .invalidSignature
            }
        }
        switch parsed {
        case .invalid: return .invalidPayload
        case .noContent(let status):
            if var status {
                status.accountKey = .accountId(account.id)
                await applyStatuses([status])
            }
            return .ok("No body content, skipping")
        case .message(let message):
            switch await store(message) {
            case .success(.unknownAccount): return .ok("Unknown account")
            case .success(.stored): return .xml("<Response></Response>")
            case .failure: return .processingFailed
            }
        }
    }

    // MARK: WH3/WH4 Meta

    /// WH3: the challenge when the token matches `META_VERIFY_TOKEN` or any Meta account's `verifyToken`.
    public func metaVerify(mode: String?, token: String?, challenge: String?) async -> WebhookReply {
        let forbidden = WebhookReply.json(403, ["error": "Verification failed"])
        guard mode == "subscribe", let token, !token.isEmpty else { return forbidden }
        var candidates = [settings.metaVerifyToken]
        let accounts = (try? await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM whatsapp_accounts WHERE provider = 'meta'").map(WhatsAppAccountRecord.init)
        }) ?? []
        candidates += accounts.compactMap { secret($0, "verifyToken") }
        guard candidates.contains(where: { !$0.isEmpty && ConstantTime.equals($0, token) }) else { return forbidden }
        return .text(challenge ?? "")
    }

    /// WH4: `X-Hub-Signature-256` over the raw body against `META_APP_SECRET` and the referenced accounts' `appSecret`.
    public func meta(rawBody: [UInt8], signature: String?) async -> WebhookReply {
        let body = (try? JSONParser.parse(rawBody)) ?? .null
        let ids = MetaPayload.referencedPhoneNumberIds(body)
        let accounts = (try? await database.read { db in
            try ids.compactMap { try WhatsAppAccountRepository.findBy(db, column: "phone_number_id", value: $0) }
        }) ?? []
        let secrets = [settings.metaAppSecret] + accounts.compactMap { secret($0, "appSecret") }
        guard WebhookSignatures.verifyMeta(body: rawBody, header: signature, secrets: secrets.filter { !$0.isEmpty }) else {
            return .invalidSignature
        }
        switch MetaPayload.parse(body) {
        case .ignoredObject: return .ok
        case .invalid: return .invalidPayload
        case .batch(let messages, let updates):
            // One transaction per message (the ingestor may group them); any failure → 500 so Meta redelivers,
            // and the redelivery is absorbed by the idempotency check.
            var failed = false
            await withTaskGroup(of: Bool.self) { group in
                for message in messages { group.addTask { if case .failure = await self.store(message) { return false }; return true } }
                for await ok in group where !ok { failed = true }
            }
            await applyStatuses(updates)
            return failed ? .processingFailed : .ok
        }
    }

    // MARK: WH5 sandbox

    public struct SandboxResult: Sendable { public let conversationId: String; public let messageId: String; public let duplicate: Bool }

    /// WH5: the account must be one of the caller's sandbox accounts. The storing transaction resolves and checks it
    /// (one read transaction fewer per webhook): unknown, another organization's, suspended or disconnected → 404,
    /// not a sandbox account → 400.
    public func sandbox(body: JSON, organizationId: String) async throws -> SandboxResult {
        var message = try SandboxPayload.message(from: body)
        switch message.accountKey {
        case .accountId(let id): message.accountKey = .accountId(id.lowercased())
        case .phoneNumber: break
        default: throw APIError.notFound("WhatsApp account not found")
        }
        let outcome: InboundIngestor.Outcome
        do {
            outcome = try await ingestor.ingest(message, sandboxOf: organizationId)
        } catch let error as APIError {
            throw error
        } catch {
            logger.error("webhook storage failed", metadata: ["provider": "\(message.provider)", "error": "\(error)"])
            throw APIError.plain(500, "Webhook processing failed")
        }
        switch outcome {
        case .stored(let s):
            routed(s.organizationId)
            return SandboxResult(conversationId: s.conversationId, messageId: s.messageId, duplicate: s.duplicate)
        case .unknownAccount: throw APIError.notFound("WhatsApp account not found")
        }
    }

    // MARK: shared

    private func store(_ message: InboundMessage) async -> Result<InboundIngestor.Outcome, any Error> {
        do {
            let outcome = try await ingestor.ingest(message)
            if case .stored(let s) = outcome { routed(s.organizationId) }
            return .success(outcome)
        } catch {
            logger.error("webhook storage failed", metadata: ["provider": "\(message.provider)", "error": "\(error)"])
            return .failure(error)
        }
    }

    private func applyStatuses(_ updates: [StatusUpdate]) async {
        do {
            let events = try await statuses.apply(updates)
            for event in events { notify(event) }
            for org in Set(events.compactMap { if case .messageStatusChanged(let org, _, _) = $0 { org } else { nil } }) { routed(org) }
        } catch {
            logger.error("status update failed", metadata: ["error": "\(error)"])
        }
    }

    /// One decrypted credential of an account; nil when absent or unreadable (never logged).
    private func secret(_ account: WhatsAppAccountRecord, _ key: String) -> String? {
        guard let envelope = account.credentialsEncrypted,
            let creds = try? credentials.open(envelope, table: "whatsapp_accounts", rowId: account.id)
        else { return nil }
        return creds[key]?.stringValue
    }
}
