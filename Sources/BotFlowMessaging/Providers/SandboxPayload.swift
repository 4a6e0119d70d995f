import BotFlowCore

/// WH5 `POST /webhooks/sandbox/whatsapp` bodies (api.md §4.14): ordinary validation, so mistakes answer with the
/// usual 400 `Validation error` listing every issue, not `Invalid webhook payload`.
public enum SandboxPayload {
    public enum Outcome: Sendable, Equatable {
        case message(InboundMessage)
        /// → `APIError.validation(issues)`.
        case invalid([ValidationIssue])
    }

    /// Fields are checked in table order: `to`, `whatsapp_account_id`, `from`, `text`, `message_id`, `profile_name`.
    /// When both `whatsapp_account_id` and `to` are given the account id wins (it names exactly one account).
    public static func parse(_ body: JSON, generateId: () -> String = Identifiers.uuid) -> Outcome {
        var v = Validator(body)
        // A non-object body is one issue at path `[]` (api.md §1.2), not one per missing field.
        guard v.isValid else { return .invalid(v.issues) }
        let accountIdGiven = v.has("whatsapp_account_id") && !v.isNull("whatsapp_account_id")
        let to = v.string("to", required: !accountIdGiven, min: accountIdGiven ? nil : 1)
        let accountId = v.string("whatsapp_account_id", format: .uuid)
        let from = v.string("from", required: true, matches: { Formats.isE164(normalisePhone($0)) },
                            patternDescription: "Invalid phone number")
        let text = v.string("text", required: true, min: 1, max: 4096)
        let messageId = v.string("message_id", max: 200)
        let profileName = v.string("profile_name", max: 100)
        guard v.isValid, let from, let text else { return .invalid(v.issues) }

        let key: InboundMessage.AccountKey
        if let accountId {
            key = .accountId(accountId.lowercased())
        } else if let to {
            key = .phoneNumber(normalisePhone(to))
        } else {
            return .invalid(v.issues)  // unreachable: one of them is required above
        }
        // An empty id cannot be told apart from "none given", so it gets a generated one too.
        let id = messageId.flatMap { $0.isEmpty ? nil : $0 } ?? "sandbox_in_\(generateId())"
        return .message(InboundMessage(
            provider: "sandbox", accountKey: key, providerMessageId: id, customerPhone: normalisePhone(from),
            customerName: profileName.flatMap { $0.isEmpty ? nil : $0 }, text: text))
    }

    /// The same, throwing the 400 `Validation error` for the HTTP layer.
    public static func message(from body: JSON) throws(APIError) -> InboundMessage {
        switch parse(body) {
        case .message(let message): return message
        case .invalid(let issues): throw APIError.validation(issues)
        }
    }
}
