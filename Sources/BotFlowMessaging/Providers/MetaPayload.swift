import BotFlowCore

/// WH4 Meta WhatsApp Cloud API webhook bodies (api.md §4.14, behaviour §6.1). Pure: no lookups, no storage.
public enum MetaPayload {
    public enum Outcome: Sendable, Equatable {
        /// `object` is not `whatsapp_business_account` → 200 `{"status":"ok"}`.
        case ignoredObject
        /// Every message and delivery report of every `entry[].changes[]` with `field` `messages`, in body order.
        /// Each carries its `phone_number_id`; the caller skips unknown ones.
        case batch(messages: [InboundMessage], statuses: [StatusUpdate])
        /// Not the Cloud API shape → 400 `Invalid webhook payload`.
        case invalid
    }

    public static let businessAccountObject = "whatsapp_business_account"

    /// Every `entry[].changes[].value.metadata.phone_number_id` (deduplicated, body order): the accounts whose
    /// `appSecret` may have signed the body, needed before the body is trusted (api.md WH4).
    public static func referencedPhoneNumberIds(_ body: JSON) -> [String] {
        var ids: [String] = []
        for entry in body["entry"].arrayValue ?? [] {
            for change in entry["changes"].arrayValue ?? [] {
                if let id = nonEmpty(change["value"]["metadata"]["phone_number_id"]), !ids.contains(id) { ids.append(id) }
            }
        }
        return ids
    }

    public static func parse(_ body: JSON) -> Outcome {
        guard case .object = body else { return .invalid }
        guard body["object"].stringValue == businessAccountObject else { return .ignoredObject }
        guard let entries = body["entry"].arrayValue else { return .invalid }
        var messages: [InboundMessage] = []
        var statuses: [StatusUpdate] = []
        for entry in entries {
            guard case .object = entry else { return .invalid }
            let changes: [JSON]
            switch entry["changes"] {
            case .null: changes = []
            case .array(let items): changes = items
            default: return .invalid
            }
            for change in changes {
                guard case .object = change else { return .invalid }
                // Other subscriptions (account updates, template status, …) are not ours to handle.
                guard change["field"].stringValue == "messages" else { continue }
                let value = change["value"]
                guard case .object = value, let phoneNumberId = nonEmpty(value["metadata"]["phone_number_id"]) else {
                    return .invalid
                }
                let key = InboundMessage.AccountKey.metaPhoneNumberId(phoneNumberId)
                guard let contacts = list(value["contacts"]), let items = list(value["messages"]),
                    let reports = list(value["statuses"])
                else { return .invalid }
                for item in items {
                    guard let message = inbound(item, key: key, contacts: contacts) else { return .invalid }
                    messages.append(message)
                }
                for report in reports {
                    guard case .object = report, let id = nonEmpty(report["id"]), let raw = nonEmpty(report["status"]) else {
                        return .invalid
                    }
                    // `deleted`, `warning` and future values are not message-status progress.
                    guard let status = mapStatus(raw) else { continue }
                    statuses.append(StatusUpdate(accountKey: key, providerMessageId: id, status: status,
                                                 error: status == "failed" ? errorText(report["errors"]) : nil))
                }
            }
        }
        return .batch(messages: messages, statuses: statuses)
    }

    public static func mapStatus(_ raw: String) -> String? {
        ["sent", "delivered", "read", "failed"].contains(raw) ? raw : nil
    }

    /// One `value.messages[]` item; nil when it lacks `id` or `from`.
    private static func inbound(_ item: JSON, key: InboundMessage.AccountKey, contacts: [JSON]) -> InboundMessage? {
        guard case .object = item, let id = nonEmpty(item["id"]), let from = nonEmpty(item["from"]) else { return nil }
        // The sender's profile: the contact with the same `wa_id`, else the only/first one.
        let contact = contacts.first { $0["wa_id"].stringValue == from } ?? contacts.first ?? .null
        var message = InboundMessage(
            provider: "meta", accountKey: key, providerMessageId: id, customerPhone: normalisePhone(from),
            customerName: nonEmpty(contact["profile"]["name"]), text: "")
        let type = item["type"].stringValue ?? ""
        switch type {
        case "text":
            message.text = item["text"]["body"].stringValue ?? ""
        case "button":
            message.text = item["button"]["text"].stringValue ?? ""
        case "interactive":
            let interactive = item["interactive"]
            message.text = interactive["button_reply"]["title"].stringValue ?? interactive["list_reply"]["title"].stringValue ?? ""
        case "image", "video", "document", "audio":
            // Meta gives a media id, not a URL; fetching it needs the access token, so only the id is kept.
            let media = item[type]
            message.messageType = type
            message.text = media["caption"].stringValue ?? ""
            if let mediaId = nonEmpty(media["id"]) { message.extraMetadata["media_id"] = .string(mediaId) }
        case "location":
            let location = item["location"]
            message.messageType = "location"
            message.text = "\(coordinate(location["latitude"])),\(coordinate(location["longitude"]))"
        default:
            // Stickers, reactions, contacts, `unsupported`: stored as an empty text so the conversation still moves.
            break
        }
        return message
    }

    /// A coordinate as JavaScript prints it (`-33.9249`, `18`); strings are taken verbatim.
    private static func coordinate(_ value: JSON) -> String {
        if let d = value.numberValue { return JSONWriter.formatNumber(d) }
        return value.stringValue ?? ""
    }

    /// `errors[0]` of a failed report: `"<code>: <title>"` (either part alone when the other is missing).
    private static func errorText(_ errors: JSON) -> String? {
        let first = errors[0]
        let code = first["code"].integerValue.map(String.init) ?? first["code"].stringValue
        let title = nonEmpty(first["title"]) ?? nonEmpty(first["message"])
        switch (code, title) {
        case let (code?, title?): return "\(code): \(title)"
        case let (code?, nil): return code
        case let (nil, title?): return title
        default: return nil
        }
    }

    /// An optional array: absent → empty; anything but an array → nil (malformed).
    private static func list(_ value: JSON) -> [JSON]? {
        switch value {
        case .null: return []
        case .array(let items): return items
        default: return nil
        }
    }
}
