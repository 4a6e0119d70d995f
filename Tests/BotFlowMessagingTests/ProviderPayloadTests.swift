import BotFlowCore
import BotFlowMessaging
import Testing

private func json(_ text: String) throws -> JSON { try JSONParser.parse(text) }

@Suite struct PhoneNormalisationTests {
    @Test func stripsPrefixSpacesDashesAndAddsPlus() {
        #expect(normalisePhone("whatsapp:+27821234567") == "+27821234567")
        #expect(normalisePhone("27 82 123-4567") == "+27821234567")
        #expect(normalisePhone("+1 415-523-8886") == "+14155238886")
        #expect(normalisePhone("") == "")
    }
}

@Suite struct FormURLEncodedTests {
    @Test func parsesPlusAndPercentEscapes() {
        let pairs = FormURLEncoded.parse("Body=Hi%2C+there%21+%F0%9F%98%80&From=whatsapp%3A%2B27821234567&Empty=&Flag&=v&&Bad=%zz%4")
        #expect(pairs.map(\.0) == ["Body", "From", "Empty", "Flag", "", "Bad"])
        #expect(pairs.map(\.1) == ["Hi, there! 😀", "whatsapp:+27821234567", "", "", "v", "%zz%4"])
    }

    @Test func encodeRoundTrips() {
        let pairs = [("From", "whatsapp:+1415"), ("Body", "a b&c=d/é*~")]
        let encoded = FormURLEncoded.encode(pairs)
        #expect(encoded == "From=whatsapp%3A%2B1415&Body=a+b%26c%3Dd%2F%C3%A9*%7E")
        let back = FormURLEncoded.parse(encoded)
        #expect(back.map(\.0) == pairs.map(\.0) && back.map(\.1) == pairs.map(\.1))
    }
}

@Suite struct BirdPayloadTests {
    @Test func messageCreatedInbound() throws {
        let body = try json("""
        {"service":"channels","event":"whatsapp.inbound","type":"message.created","payload":{
          "id":"ignored-envelope","channelId":"c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b",
          "message":{"id":"0f1e2d3c-msg","direction":"received","content":{"text":"Hi, do you deliver to Sea Point?"}},
          "contact":{"identifierKey":"phonenumber","identifierValue":"+27 82 123 4567","displayName":"Sipho Dlamini"}}}
        """)
        #expect(BirdPayload.parse(body) == .message(InboundMessage(
            provider: "bird", accountKey: .birdChannel("c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b"), providerMessageId: "0f1e2d3c-msg",
            customerPhone: "+27821234567", customerName: "Sipho Dlamini", text: "Hi, do you deliver to Sea Point?")))
    }

    @Test func messageCreatedAcceptsInboundDirectionAndMissingText() throws {
        let body = try json("""
        {"type":"message.created","payload":{"channelId":"ch1","message":{"id":"m1","direction":"inbound","content":{}},
          "contact":{"identifierValue":"27821234567"}}}
        """)
        guard case .message(let m) = BirdPayload.parse(body) else { Issue.record("not a message"); return }
        #expect(m.text == "" && m.customerName == nil && m.customerPhone == "+27821234567" && m.messageType == "text")
    }

    @Test func outboundEchoIsSkipped() throws {
        for direction in ["\"sent\"", "\"outgoing\"", "null"] {
            let body = try json("""
            {"type":"message.created","payload":{"channelId":"ch1","message":{"id":"m1","direction":\(direction),
              "content":{"text":"Our reply"}},"contact":{"identifierValue":"+27821234567"}}}
            """)
            #expect(BirdPayload.parse(body) == .outboundSkipped)
        }
    }

    @Test func whatsappInbound() throws {
        let body = try json("""
        {"type":"whatsapp.inbound","data":{"id":"wa-77","channelId":"ch-9","from":"whatsapp:+27821234567",
          "profileName":"Lerato","content":{"text":"Book for 2 please"}}}
        """)
        #expect(BirdPayload.parse(body) == .message(InboundMessage(
            provider: "bird", accountKey: .birdChannel("ch-9"), providerMessageId: "wa-77", customerPhone: "+27821234567",
            customerName: "Lerato", text: "Book for 2 please")))
    }

    @Test func otherOrMissingTypeIsIgnored() throws {
        #expect(BirdPayload.parse(try json(#"{"type":"message.updated","payload":{}}"#)) == .ignored)
        #expect(BirdPayload.parse(try json(#"{"hello":"world"}"#)) == .ignored)
        #expect(BirdPayload.parse(try json(#"{"type":42}"#)) == .ignored)
    }

    @Test func malformedIsInvalid() throws {
        #expect(BirdPayload.parse(try json("[1,2]")) == .invalid)
        #expect(BirdPayload.parse(try json(#"{"type":"message.created"}"#)) == .invalid)
        #expect(BirdPayload.parse(try json(#"{"type":"message.created","payload":{"message":{"direction":"received"}}}"#)) == .invalid)
        #expect(BirdPayload.parse(try json("""
        {"type":"message.created","payload":{"channelId":"ch1","message":{"id":"m1","direction":"received","content":{"text":5}},
          "contact":{"identifierValue":"+27821234567"}}}
        """)) == .invalid)
        #expect(BirdPayload.parse(try json(#"{"type":"whatsapp.inbound","data":{"id":"x","from":"+27821234567"}}"#)) == .invalid)
        #expect(BirdPayload.parse(try json(#"{"type":"whatsapp.inbound","data":"nope"}"#)) == .invalid)
    }
}

@Suite struct TwilioPayloadTests {
    static let inboundForm = "SmsMessageSid=SMa1b2c3&NumMedia=0&ProfileName=Sipho+Dlamini&MessageType=text&SmsSid=SMa1b2c3"
        + "&WaId=27821234567&SmsStatus=received&Body=Hi%2C+is+the+shuttle+running+today%3F&To=whatsapp%3A%2B14155238886"
        + "&NumSegments=1&MessageSid=SMa1b2c3&AccountSid=AC0123&From=whatsapp%3A%2B27821234567&ApiVersion=2010-04-01"

    @Test func textMessageFromForm() {
        let params = FormURLEncoded.parse(Self.inboundForm)
        #expect(TwilioPayload.accountPhoneNumber(params) == "+14155238886")
        #expect(TwilioPayload.parse(params) == .message(InboundMessage(
            provider: "twilio", accountKey: .phoneNumber("+14155238886"), providerMessageId: "SMa1b2c3",
            customerPhone: "+27821234567", customerName: "Sipho Dlamini", text: "Hi, is the shuttle running today?")))
    }

    @Test func jsonBodyWithTheSameKeys() throws {
        let body = try json("""
        {"MessageSid":"SMj1","From":"whatsapp:+27821234567","To":"whatsapp:+14155238886","Body":"Hello","NumMedia":0,"ProfileName":""}
        """)
        // Only string values are signature parameters.
        #expect(TwilioPayload.parameters(json: body)?.map(\.0) == ["MessageSid", "From", "To", "Body", "ProfileName"])
        #expect(TwilioPayload.parameters(json: .array([])) == nil)
        #expect(TwilioPayload.parse(json: body) == .message(InboundMessage(
            provider: "twilio", accountKey: .phoneNumber("+14155238886"), providerMessageId: "SMj1",
            customerPhone: "+27821234567", customerName: nil, text: "Hello")))
        #expect(TwilioPayload.parse(json: "text") == .invalid)
    }

    @Test func mediaTypeFollowsMIMEMajorType() {
        let cases = [("image/jpeg", "image"), ("video/mp4", "video"), ("audio/ogg", "audio"), ("application/pdf", "document"),
                     ("text/vcard", "document"), ("", "document")]
        for (mime, type) in cases {
            let params: [(String, String)] = [
                ("MessageSid", "MM1"), ("From", "whatsapp:+27821234567"), ("To", "whatsapp:+14155238886"), ("Body", ""),
                ("NumMedia", "1"), ("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"),
                ("MediaContentType0", mime),
            ]
            guard case .message(let m) = TwilioPayload.parse(params) else { Issue.record("not a message for \(mime)"); continue }
            #expect(m.messageType == type)
            #expect(m.mediaURL == "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1")
            #expect(m.text == "")
        }
    }

    @Test func mediaWithCaptionKeepsBody() {
        let params: [(String, String)] = [
            ("MessageSid", "MM2"), ("From", "whatsapp:+27821234567"), ("To", "whatsapp:+14155238886"), ("Body", "My ticket"),
            ("NumMedia", "2"), ("MediaUrl0", "https://media/0"), ("MediaContentType0", "image/png"), ("MediaUrl1", "https://media/1"),
        ]
        guard case .message(let m) = TwilioPayload.parse(params) else { Issue.record("not a message"); return }
        #expect(m.text == "My ticket" && m.messageType == "image" && m.mediaURL == "https://media/0")
    }

    @Test func statusCallbacksMapForwardStatuses() {
        let expected: [(String, String?)] = [
            ("queued", nil), ("accepted", nil), ("sending", nil), ("sent", "sent"), ("delivered", "delivered"), ("read", "read"),
            ("failed", "failed"), ("undelivered", "failed"), ("receiving", nil),
        ]
        for (raw, mapped) in expected {
            let params: [(String, String)] = [
                ("MessageSid", "SMout1"), ("MessageStatus", raw), ("To", "whatsapp:+27821234567"), ("From", "whatsapp:+14155238886"),
                ("AccountSid", "AC1"),
            ]
            let status = mapped.map { StatusUpdate(accountKey: .phoneNumber("+27821234567"), providerMessageId: "SMout1", status: $0) }
            #expect(TwilioPayload.parse(params) == .noContent(status: status), "MessageStatus \(raw)")
        }
    }

    @Test func failedStatusCarriesTwilioError() {
        let params = FormURLEncoded.parse(
            "MessageSid=SMout2&MessageStatus=undelivered&ErrorCode=63016&ErrorMessage=Outside+the+allowed+window&To=whatsapp%3A%2B27821234567")
        #expect(TwilioPayload.parse(params) == .noContent(status: StatusUpdate(
            accountKey: .phoneNumber("+27821234567"), providerMessageId: "SMout2", status: "failed",
            error: "Twilio error 63016: Outside the allowed window")))
    }

    @Test func emptyMessageWithoutStatusIsNoContent() {
        let params: [(String, String)] = [("MessageSid", "SM9"), ("From", "whatsapp:+27821234567"), ("To", "whatsapp:+14155238886"),
                                          ("Body", ""), ("NumMedia", "0")]
        #expect(TwilioPayload.parse(params) == .noContent(status: nil))
        // A status without a MessageSid cannot be matched to anything.
        #expect(TwilioPayload.parse([("MessageStatus", "delivered"), ("To", "+14155238886")]) == .noContent(status: nil))
    }

    @Test func invalidWithoutRoutingFields() {
        #expect(TwilioPayload.parse([("MessageSid", "SM1"), ("From", "whatsapp:+27821234567"), ("Body", "hi")]) == .invalid)  // no To
        #expect(TwilioPayload.parse([("From", "whatsapp:+27821234567"), ("To", "whatsapp:+14155238886"), ("Body", "hi")]) == .invalid)
        #expect(TwilioPayload.parse([("MessageSid", "SM1"), ("To", "whatsapp:+14155238886"), ("Body", "hi")]) == .invalid)
        #expect(TwilioPayload.accountPhoneNumber([("To", "whatsapp:")]) == nil)
    }
}

@Suite struct MetaPayloadTests {
    static let phoneNumberId = "106540352242922"

    /// A Cloud API body with one change whose value holds `messages` (and optional extra value members).
    static func body(messages: String, extra: String = "") throws -> JSON {
        try json("""
        {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{
          "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"\(phoneNumberId)"},
          "contacts":[{"profile":{"name":"Sipho Dlamini"},"wa_id":"27821234567"}],
          "messages":[\(messages)]\(extra)},"field":"messages"}]}]}
        """)
    }

    static func only(_ outcome: MetaPayload.Outcome) -> InboundMessage? {
        guard case .batch(let messages, let statuses) = outcome, messages.count == 1, statuses.isEmpty else { return nil }
        return messages[0]
    }

    @Test func textMessage() throws {
        let body = try Self.body(messages: """
        {"from":"27821234567","id":"wamid.HBgLMjc4MjEyMzQ1NjcVAgASGBQzQTRB","timestamp":"1749416383","type":"text",
         "text":{"body":"Hi, is the shuttle running today?"}}
        """)
        #expect(Self.only(MetaPayload.parse(body)) == InboundMessage(
            provider: "meta", accountKey: .metaPhoneNumberId(Self.phoneNumberId), providerMessageId: "wamid.HBgLMjc4MjEyMzQ1NjcVAgASGBQzQTRB",
            customerPhone: "+27821234567", customerName: "Sipho Dlamini", text: "Hi, is the shuttle running today?"))
        #expect(MetaPayload.referencedPhoneNumberIds(body) == [Self.phoneNumberId])
    }

    @Test func buttonAndInteractiveReplies() throws {
        let cases: [(String, String)] = [
            (#""type":"button","button":{"payload":"BOOK","text":"Book now"}"#, "Book now"),
            (#""type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"yes","title":"Yes please"}}"#, "Yes please"),
            (#""type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"r2","title":"Airport transfer","description":"x"}}"#,
             "Airport transfer"),
        ]
        for (fragment, text) in cases {
            let m = Self.only(MetaPayload.parse(try Self.body(messages: #"{"from":"27821234567","id":"wamid.1","# + fragment + "}")))
            #expect(m?.text == text && m?.messageType == "text")
        }
    }

    @Test func mediaKeepsTypeWithMediaIdAndCaption() throws {
        for type in ["image", "video", "document", "audio"] {
            let caption = type == "audio" ? "" : #","caption":"See attached""#
            let body = try Self.body(messages: """
            {"from":"27821234567","id":"wamid.m-\(type)","type":"\(type)","\(type)":{"mime_type":"x/y","sha256":"abc","id":"1234\(type)"\(caption)}}
            """)
            let m = try #require(Self.only(MetaPayload.parse(body)))
            #expect(m.messageType == type)
            #expect(m.mediaURL == nil)
            #expect(m.extraMetadata["media_id"] == .string("1234\(type)"))
            #expect(m.text == (type == "audio" ? "" : "See attached"))
        }
    }

    @Test func locationBecomesLatLonText() throws {
        let body = try Self.body(messages: """
        {"from":"27821234567","id":"wamid.loc","type":"location","location":{"latitude":-33.9249,"longitude":18.4241,"name":"Cape Town"}}
        """)
        let m = try #require(Self.only(MetaPayload.parse(body)))
        #expect(m.messageType == "location" && m.text == "-33.9249,18.4241" && m.extraMetadata.isEmpty)
        let whole = try Self.body(messages: #"{"from":"27821234567","id":"wamid.loc2","type":"location","location":{"latitude":-34,"longitude":18}}"#)
        #expect(Self.only(MetaPayload.parse(whole))?.text == "-34,18")
    }

    @Test func unknownTypesAreEmptyText() throws {
        for fragment in [#""type":"sticker","sticker":{"id":"st1"}"#, #""type":"reaction","reaction":{"emoji":"👍"}"#,
                         #""type":"unsupported","errors":[{"code":131051}]"#, #""type":"text""#] {
            let m = Self.only(MetaPayload.parse(try Self.body(messages: #"{"from":"27821234567","id":"wamid.u","# + fragment + "}")))
            #expect(m?.messageType == "text" && m?.text == "" && m?.extraMetadata.isEmpty == true)
        }
    }

    @Test func nameFromMatchingContactAndSeveralMessages() throws {
        let body = try json("""
        {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
          {"field":"messages","value":{"metadata":{"phone_number_id":"A"},
            "contacts":[{"profile":{"name":"First"},"wa_id":"111111111"},{"profile":{"name":"Second"},"wa_id":"222222222"}],
            "messages":[{"from":"222222222","id":"w1","type":"text","text":{"body":"one"}},
                        {"from":"111111111","id":"w2","type":"text","text":{"body":"two"}}]}},
          {"field":"account_update","value":{"metadata":{"phone_number_id":"IGNORED"}}}]},
          {"id":"2","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"B"},
            "messages":[{"from":"333333333","id":"w3","type":"text","text":{"body":"three"}}]}}]}]}
        """)
        guard case .batch(let messages, let statuses) = MetaPayload.parse(body) else { Issue.record("not a batch"); return }
        #expect(statuses.isEmpty)
        #expect(messages.map(\.providerMessageId) == ["w1", "w2", "w3"])
        #expect(messages.map(\.customerName) == ["Second", "First", nil])
        #expect(messages.map(\.accountKey) == [.metaPhoneNumberId("A"), .metaPhoneNumberId("A"), .metaPhoneNumberId("B")])
        #expect(MetaPayload.referencedPhoneNumberIds(body) == ["A", "IGNORED", "B"])
    }

    @Test func statusesMapAndCarryErrors() throws {
        let body = try json("""
        {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
          "messaging_product":"whatsapp","metadata":{"phone_number_id":"\(Self.phoneNumberId)"},
          "statuses":[
            {"id":"wamid.out1","status":"sent","timestamp":"1","recipient_id":"27821234567"},
            {"id":"wamid.out1","status":"delivered","timestamp":"2","recipient_id":"27821234567"},
            {"id":"wamid.out1","status":"read","timestamp":"3","recipient_id":"27821234567"},
            {"id":"wamid.out2","status":"failed","timestamp":"4","recipient_id":"27821234567",
             "errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message"}]},
            {"id":"wamid.out3","status":"deleted","timestamp":"5"}]}}]}]}
        """)
        let key = InboundMessage.AccountKey.metaPhoneNumberId(Self.phoneNumberId)
        #expect(MetaPayload.parse(body) == .batch(messages: [], statuses: [
            StatusUpdate(accountKey: key, providerMessageId: "wamid.out1", status: "sent"),
            StatusUpdate(accountKey: key, providerMessageId: "wamid.out1", status: "delivered"),
            StatusUpdate(accountKey: key, providerMessageId: "wamid.out1", status: "read"),
            StatusUpdate(accountKey: key, providerMessageId: "wamid.out2", status: "failed", error: "131047: Re-engagement message"),
        ]))
    }

    @Test func otherObjectIsIgnored() throws {
        #expect(MetaPayload.parse(try json(#"{"object":"page","entry":[]}"#)) == .ignoredObject)
        #expect(MetaPayload.parse(try json(#"{"entry":[]}"#)) == .ignoredObject)
        #expect(MetaPayload.parse(try json(#"{"object":"whatsapp_business_account","entry":[]}"#)) == .batch(messages: [], statuses: []))
    }

    @Test func notTheCloudAPIShapeIsInvalid() throws {
        let bad = [
            "[]", #""text""#,
            #"{"object":"whatsapp_business_account"}"#,
            #"{"object":"whatsapp_business_account","entry":{}}"#,
            #"{"object":"whatsapp_business_account","entry":[5]}"#,
            #"{"object":"whatsapp_business_account","entry":[{"changes":"x"}]}"#,
            #"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[]}}]}]}"#,
            #"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"A"},"messages":{}}}]}]}"#,
            #"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"A"},"messages":[{"id":"w"}]}}]}]}"#,
            #"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"A"},"statuses":[{"status":"sent"}]}}]}]}"#,
        ]
        for text in bad {
            #expect(MetaPayload.parse(try json(text)) == .invalid, "\(text)")
        }
    }
}

@Suite struct SandboxPayloadTests {
    @Test func validByPhoneNumberWithDefaults() {
        let outcome = SandboxPayload.parse(["to": "whatsapp:+27820000001", "from": "+27821234567", "text": "Hello"], generateId: { "fixed-uuid" })
        #expect(outcome == .message(InboundMessage(
            provider: "sandbox", accountKey: .phoneNumber("+27820000001"), providerMessageId: "sandbox_in_fixed-uuid",
            customerPhone: "+27821234567", customerName: nil, text: "Hello")))
    }

    @Test func generatedIdsAreUUIDs() throws {
        let m = try SandboxPayload.message(from: ["to": "+27820000001", "from": "+27821234567", "text": "Hi"])
        #expect(m.providerMessageId.hasPrefix("sandbox_in_"))
        #expect(Identifiers.isUUID(String(m.providerMessageId.dropFirst("sandbox_in_".count))))
    }

    @Test func accountIdMessageIdAndProfileName() {
        let id = "c1a7e5d2-3f49-4b6a-8e2d-0f5b9c7a1e36"
        let outcome = SandboxPayload.parse([
            "whatsapp_account_id": .string(id.uppercased()), "from": "27 82 123 4567", "text": "Again", "message_id": "dup-1",
            "profile_name": "Sipho",
        ])
        #expect(outcome == .message(InboundMessage(
            provider: "sandbox", accountKey: .accountId(id), providerMessageId: "dup-1", customerPhone: "+27821234567",
            customerName: "Sipho", text: "Again")))
    }

    @Test func validationIssuesInFieldOrder() {
        guard case .invalid(let issues) = SandboxPayload.parse([
            "whatsapp_account_id": "not-a-uuid", "from": "hello", "text": "", "message_id": .string(String(repeating: "m", count: 201)),
            "profile_name": .string(String(repeating: "p", count: 101)),
        ]) else { Issue.record("expected issues"); return }
        #expect(issues.map(\.path) == [["whatsapp_account_id"], ["from"], ["text"], ["message_id"], ["profile_name"]])
        #expect(issues.map(\.code) == [.invalid_string, .invalid_string, .too_small, .too_big, .too_big])
    }

    @Test func toRequiredWithoutAccountId() {
        guard case .invalid(let issues) = SandboxPayload.parse(["from": "+27821234567", "text": "x"]) else {
            Issue.record("expected issues"); return
        }
        #expect(issues == [ValidationIssue(path: ["to"], message: "Required", code: .required)])
        guard case .invalid(let all) = SandboxPayload.parse(["text": .string(String(repeating: "t", count: 4097))]) else {
            Issue.record("expected issues"); return
        }
        #expect(all.map(\.path) == [["to"], ["from"], ["text"]])
        #expect(SandboxPayload.parse("nope") == .invalid([ValidationIssue(path: [], message: "Expected object, received string", code: .invalid_type)]))
    }

    @Test func throwsTheValidationError() {
        #expect(throws: APIError.self) { try SandboxPayload.message(from: ["to": "+27820000001"]) }
        do {
            _ = try SandboxPayload.message(from: ["to": "+27820000001"])
        } catch {
            #expect(error.status == 400 && error.body["error"] == "Validation error")
        }
    }
}
