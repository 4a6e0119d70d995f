import BotFlowCore

/// WH1 Bird webhook bodies (api.md §4.14, behaviour §6.1). Pure: no lookups, no storage.
public enum BirdPayload {
    public enum Outcome: Sendable, Equatable {
        /// Other or missing `type` → 200 `{"status":"ok"}`.
        case ignored
        /// `message.created` whose direction is not `received`/`inbound` → 200 `Outbound message, skipping`.
        case outboundSkipped
        /// A customer message for the account whose `bird_channel_id` is the key.
        case message(InboundMessage)
        /// A recognised type without its required fields → 400 `Invalid webhook payload`.
        case invalid
    }

    public static func parse(_ body: JSON) -> Outcome {
        guard case .object = body else { return .invalid }
        switch body["type"].stringValue {
        case "message.created": return messageCreated(body["payload"])
        case "whatsapp.inbound": return whatsappInbound(body["data"])
        default: return .ignored
        }
    }

    /// `payload.message.{id,direction,content.text}`, `payload.contact.{identifierValue,displayName}`, `payload.channelId`.
    private static func messageCreated(_ payload: JSON) -> Outcome {
        guard case .object = payload, case .object = payload["message"] else { return .invalid }
        let message = payload["message"]
        // Bird echoes our own sends back as `message.created`; only customer messages are stored.
        guard let direction = message["direction"].stringValue, direction == "received" || direction == "inbound" else {
            return .outboundSkipped
        }
        guard let id = nonEmpty(message["id"]), let channel = nonEmpty(payload["channelId"]),
            let phone = nonEmpty(payload["contact"]["identifierValue"]), let text = optionalString(message["content"]["text"])
        else { return .invalid }
        return .message(InboundMessage(
            provider: "bird", accountKey: .birdChannel(channel), providerMessageId: id, customerPhone: normalisePhone(phone),
            customerName: nonEmpty(payload["contact"]["displayName"]), text: text ?? ""))
    }

    /// `data.{id,from,profileName,content.text,channelId}`.
    private static func whatsappInbound(_ data: JSON) -> Outcome {
        guard case .object = data, let id = nonEmpty(data["id"]), let channel = nonEmpty(data["channelId"]),
            let phone = nonEmpty(data["from"]), let text = optionalString(data["content"]["text"])
        else { return .invalid }
        return .message(InboundMessage(
            provider: "bird", accountKey: .birdChannel(channel), providerMessageId: id, customerPhone: normalisePhone(phone),
            customerName: nonEmpty(data["profileName"]), text: text ?? ""))
    }
}

/// A non-empty string value, else nil.
func nonEmpty(_ value: JSON) -> String? {
    guard let s = value.stringValue, !s.isEmpty else { return nil }
    return s
}

/// `.some(nil)` when absent or null (allowed), `.some(s)` for a string, nil for any other type (malformed).
func optionalString(_ value: JSON) -> String?? {
    switch value {
    case .null: return .some(nil)
    case .string(let s): return .some(s)
    default: return nil
    }
}
