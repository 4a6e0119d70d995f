import BotFlowCore

/// WH2 Twilio webhook parameters (api.md §4.14, behaviour §6.1). Pure: no lookups, no storage.
///
/// The body arrives as form parameters or as a JSON object with the same keys; both become one ordered list of
/// pairs, which is also what the `X-Twilio-Signature` covers (behaviour §5.7).
public enum TwilioPayload {
    public enum Outcome: Sendable, Equatable {
        /// A customer message (text and/or media) → stored, answered with `<Response></Response>`.
        case message(InboundMessage)
        /// No `Body` and no media → 200 `No body content, skipping`; `status` is the delivery report to apply first.
        case noContent(status: StatusUpdate?)
        /// No usable `To`, or content without `MessageSid`/`From` → 400 `Invalid webhook payload`.
        case invalid
    }

    /// The parameters of a JSON body: its top-level string values (the signature's definition). Numbers and booleans
    /// are not part of the signature, so they are not parameters either. nil when the body is not an object.
    public static func parameters(json: JSON) -> [(String, String)]? {
        guard case .object(let object) = json else { return nil }
        return object.compactMap { key, value in value.stringValue.map { (key, $0) } }
    }

    /// The receiving number (`To` without `whatsapp:`), normalised: the account lookup key, needed before the
    /// signature can be checked.
    public static func accountPhoneNumber(_ parameters: [(String, String)]) -> String? {
        value("To", in: parameters).map(normalisePhone).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A JSON body: like `parse(_:)`, but scalar numbers and booleans are read too (`"NumMedia": 1`), since
    /// reading fields is more forgiving than the signature's definition.
    public static func parse(json: JSON) -> Outcome {
        guard case .object(let object) = json else { return .invalid }
        let fields: [(String, String)] = object.compactMap { key, value in
            switch value {
            case .string(let s): return (key, s)
            case .int(let i): return (key, String(i))
            case .double(let d): return (key, JSONWriter.formatNumber(d))
            case .bool(let b): return (key, b ? "true" : "false")
            default: return nil
            }
        }
        return parse(fields)
    }

    public static func parse(_ parameters: [(String, String)]) -> Outcome {
        guard let account = accountPhoneNumber(parameters) else { return .invalid }
        let key = InboundMessage.AccountKey.phoneNumber(account)
        let sid = value("MessageSid", in: parameters).flatMap { $0.isEmpty ? nil : $0 }
        let body = value("Body", in: parameters) ?? ""
        let mediaCount = Int(value("NumMedia", in: parameters)?.trimmingWhitespace() ?? "") ?? 0

        guard !body.isEmpty || mediaCount > 0 else {
            // A status callback (or an empty message): only a delivery report, if it maps to a message status.
            guard let sid, let raw = value("MessageStatus", in: parameters), let status = mapStatus(raw) else {
                return .noContent(status: nil)
            }
            return .noContent(status: StatusUpdate(accountKey: key, providerMessageId: sid, status: status,
                                                   error: status == "failed" ? errorText(parameters) : nil))
        }

        guard let sid, let from = value("From", in: parameters).map(normalisePhone), !from.isEmpty else { return .invalid }
        var message = InboundMessage(
            provider: "twilio", accountKey: key, providerMessageId: sid, customerPhone: from,
            customerName: value("ProfileName", in: parameters).flatMap { $0.isEmpty ? nil : $0 }, text: body)
        if mediaCount > 0 {
            message.mediaURL = value("MediaUrl0", in: parameters).flatMap { $0.isEmpty ? nil : $0 }
            message.messageType = mediaType(value("MediaContentType0", in: parameters))
        }
        return .message(message)
    }

    /// Twilio `MessageStatus` → message status; queued/accepted/sending/receiving/… are not progress we record.
    public static func mapStatus(_ raw: String) -> String? {
        switch raw.lowercased() {
        case "sent": return "sent"
        case "delivered": return "delivered"
        case "read": return "read"
        case "failed", "undelivered": return "failed"
        default: return nil
        }
    }

    /// `image`/`video`/`audio` by the MIME major type, anything else (pdf, vcard, unknown) is a `document`.
    static func mediaType(_ contentType: String?) -> String {
        let major = contentType?.split(separator: "/").first.map { String($0).trimmingWhitespace().lowercased() } ?? ""
        return ["image", "video", "audio"].contains(major) ? major : "document"
    }

    /// `ErrorCode`/`ErrorMessage` of a failed delivery, when Twilio gives them.
    private static func errorText(_ parameters: [(String, String)]) -> String? {
        let code = value("ErrorCode", in: parameters).flatMap { $0.isEmpty ? nil : $0 }
        let message = value("ErrorMessage", in: parameters).flatMap { $0.isEmpty ? nil : $0 }
        switch (code, message) {
        case let (code?, message?): return "Twilio error \(code): \(message)"
        case let (code?, nil): return "Twilio error \(code)"
        case let (nil, message?): return message
        default: return nil
        }
    }

    /// The first value of a parameter (a repeated name keeps its first occurrence).
    static func value(_ name: String, in parameters: [(String, String)]) -> String? {
        parameters.first { $0.0 == name }?.1
    }
}
