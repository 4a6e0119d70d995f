import BotFlowCore
import BotFlowDomain
import BotFlowTestSupport
import GRDB
import HummingbirdTesting
import Testing

/// api.md §2.6 and §4.8 T1–T6; behaviour.md §9.1–§9.2 and §9.6 (the 20 seeded templates).
@Suite struct TemplateTests {
    // MARK: T1 list

    @Test func listHasTheTwentyPublishedTemplatesInTierThenNameOrder() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let r = try await client.call(.get, "/api/templates")
            #expect(r.status == 200)
            #expect(keys(r.json) == ["templates"])
            let templates = try #require(r.json["templates"].arrayValue)
            #expect(templates.count == 20)
            #expect(templates.first?["name"] == "E-commerce Store")
            #expect(templates.compactMap { $0["name"].stringValue } == seededInListOrder.map(\.name))
            for (template, seed) in zip(templates, seededInListOrder) {
                #expect(keys(template) == Set(templateKeys), "\(seed.name)")
                #expect(template["tier"] == .int(seed.tier), "\(seed.name)")
                #expect(template["vertical"] == .string(seed.vertical), "\(seed.name)")
                #expect(template["icon"] == .string(seed.icon), "\(seed.name)")
                #expect(template["is_published"] == true)
                #expect(template["version"] == 1)
                #expect(template["created_by"] == .null)
                let id = template["id"].stringValue ?? ""
                #expect(Identifiers.isUUID(id) && id == id.lowercased())
                #expect(isTimestamp(template["created_at"].stringValue))
                #expect(isTimestamp(template["updated_at"].stringValue))
                #expect(template["required_fields"].objectValue != nil)
                #expect(template["conversation_flow"].objectValue != nil)
                #expect(template["example_prompts"].arrayValue != nil)
                #expect(template["integrations"].arrayValue != nil)
                #expect(template["description"].stringValue?.isEmpty == false)
            }
            // Ordered by tier, then by name in code-point order.
            for (a, b) in zip(templates, templates.dropFirst()) {
                let ta = a["tier"].integerValue!, tb = b["tier"].integerValue!
                #expect(ta < tb || (ta == tb && codePointLess(a["name"].stringValue!, b["name"].stringValue!)))
            }
            #expect(templates.filter { $0["tier"] == 1 }.count == 7)
            #expect(templates.filter { $0["tier"] == 2 }.count == 5)
            #expect(templates.filter { $0["tier"] == 3 }.count == 8)

            // New templates: an unpublished one stays out, a published one takes its place in the order.
            let admin = try await client.signup()
            let hidden = try await client.call(.post, "/api/templates", json: customTemplate(name: "Hidden", vertical: "bakery", tier: 1),
                                               token: admin.token)
            #expect(hidden.status == 201)
            let shown = try await client.call(.post, "/api/templates", json: customTemplate(name: "Bakery", vertical: "bakery", tier: 2, published: true),
                                              token: admin.token)
            #expect(shown.status == 201)
            let after = try await client.call(.get, "/api/templates")
            let names = after.json["templates"].arrayValue?.compactMap { $0["name"].stringValue } ?? []
            #expect(names.count == 21)
            #expect(!names.contains("Hidden"))
            #expect(names.firstIndex(of: "Bakery") == 7)
            #expect(names[8] == "Car Rental")
        }
    }

    // MARK: T3 by vertical

    @Test func verticalListsThePublishedTemplatesOfThatVertical() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let taxi = try await client.call(.get, "/api/templates/vertical/taxi")
            #expect(taxi.status == 200)
            #expect(keys(taxi.json) == ["templates"])
            #expect(taxi.json["templates"].arrayValue?.count == 1)
            #expect(taxi.json["templates"][0]["name"] == "Taxi & Shuttle Service")
            #expect(keys(taxi.json["templates"][0]) == Set(templateKeys))

            for vertical in ["spaceships", "TAXI", "taxi_"] {
                let none = try await client.call(.get, "/api/templates/vertical/\(vertical)")
                #expect(none.status == 200)
                #expect(none.json == ["templates": []])
            }

            let admin = try await client.signup()
            for (name, tier, published) in [("Zebra Cabs", 1, true), ("Airport Shuttle", 3, true), ("Hidden Cabs", 1, false), ("Bus Co", 2, true)] {
                let r = try await client.call(.post, "/api/templates", json: customTemplate(name: name, vertical: "taxi", tier: tier, published: published),
                                              token: admin.token)
                #expect(r.status == 201)
            }
            let all = try await client.call(.get, "/api/templates/vertical/taxi")
            #expect(all.json["templates"].arrayValue?.compactMap { $0["name"].stringValue }
                == ["Taxi & Shuttle Service", "Zebra Cabs", "Bus Co", "Airport Shuttle"])
            let everyVertical = try await client.call(.get, "/api/templates")
            for template in everyVertical.json["templates"].arrayValue ?? [] {
                let vertical = template["vertical"].stringValue!
                let r = try await client.call(.get, "/api/templates/vertical/\(vertical)")
                #expect(r.json["templates"].arrayValue?.contains(template) == true, "\(vertical)")
            }
        }
    }

    // MARK: T2 by id

    @Test func getByIdHidesUnpublishedTemplatesFromNonAdmins() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let list = try await client.call(.get, "/api/templates")
            let taxi = try #require(list.json["templates"].arrayValue?.first { $0["vertical"] == "taxi" })
            let taxiId = try #require(taxi["id"].stringValue)

            let r = try await client.call(.get, "/api/templates/\(taxiId)")
            #expect(r.status == 200)
            #expect(r.json == ["template": taxi])

            let notFound: JSON = ["error": "Template not found"]
            for id in ["not-a-uuid", "12345", "5d8e2f14-7a3c-4b91-9e60-c4f2a8d1b7e9", "5d8e2f14-7a3c-4b91-9e60-c4f2a8d1b7eZ", taxiId + "0"] {
                let missing = try await client.call(.get, "/api/templates/\(id)")
                #expect(missing.status == 404, "\(id)")
                #expect(missing.json == notFound, "\(id)")
            }

            let admin = try await client.signup()
            let member = try await client.signup(organization: "Member Org")
            let created = try await client.call(.post, "/api/templates", json: customTemplate(name: "Draft", vertical: "draft_vertical", tier: 2),
                                                token: admin.token)
            #expect(created.status == 201)
            #expect(created.json["template"]["is_published"] == false)
            let draftId = try #require(created.json["template"]["id"].stringValue)

            let anonymous = try await client.call(.get, "/api/templates/\(draftId)")
            #expect(anonymous.status == 404)
            #expect(anonymous.json == notFound)
            let asMember = try await client.call(.get, "/api/templates/\(draftId)", token: member.token)
            #expect(asMember.status == 404)
            #expect(asMember.json == notFound)
            let badToken = try await client.call(.get, "/api/templates/\(draftId)", token: "not.a.jwt")
            #expect(badToken.status == 404)
            #expect(badToken.json == notFound)
            let asAdmin = try await client.call(.get, "/api/templates/\(draftId)", token: admin.token)
            #expect(asAdmin.status == 200)
            #expect(asAdmin.json == created.json)

            // A public route never rejects because of its Authorization header.
            let withBadToken = try await client.call(.get, "/api/templates/\(taxiId)", token: "not.a.jwt")
            #expect(withBadToken.status == 200)
            let withBadScheme = try await client.call(.get, "/api/templates/\(taxiId)", headers: ["Authorization": "Token abc"])
            #expect(withBadScheme.status == 200)
            let listWithMember = try await client.call(.get, "/api/templates", token: member.token)
            #expect(listWithMember.json["templates"].arrayValue?.count == 20)
            let listWithAdmin = try await client.call(.get, "/api/templates", token: admin.token)
            #expect(listWithAdmin.json["templates"].arrayValue?.count == 20)
        }
    }

    // MARK: T4 create

    @Test func createIsForAdminsOnly() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let admin = try await client.signup()
            let member = try await client.signup(organization: "Member Org")
            let body = customTemplate(name: "Bakery", vertical: "bakery", tier: 2)

            let anonymous = try await client.call(.post, "/api/templates", json: body)
            #expect(anonymous.status == 401)
            #expect(anonymous.json == ["error": "Unauthorized", "message": "Invalid or missing authentication token"])
            let forbidden: JSON = ["error": "Forbidden", "message": "Admin only"]
            let asMember = try await client.call(.post, "/api/templates", json: body, token: member.token)
            #expect(asMember.status == 403)
            #expect(asMember.json == forbidden)
            let invalidAsMember = try await client.call(.post, "/api/templates", json: [:], token: member.token)
            #expect(invalidAsMember.status == 403)
            #expect(invalidAsMember.json == forbidden)
            let count = try await rowCount(app, "bot_templates")
            #expect(count == 20)

            let seeded = try await client.call(.get, "/api/templates")
            let taxiId = try #require(seeded.json["templates"].arrayValue?.first { $0["vertical"] == "taxi" }?["id"].stringValue)
            let patch = try await client.call(.patch, "/api/templates/\(taxiId)", json: ["tagline": "Hijacked"], token: member.token)
            #expect(patch.status == 403)
            #expect(patch.json == forbidden)
            let delete = try await client.call(.delete, "/api/templates/\(taxiId)", token: member.token)
            #expect(delete.status == 403)
            #expect(delete.json == forbidden)
            let patchAnonymous = try await client.call(.patch, "/api/templates/\(taxiId)", json: ["tagline": "Hijacked"])
            #expect(patchAnonymous.status == 401)
            let deleteAnonymous = try await client.call(.delete, "/api/templates/\(taxiId)")
            #expect(deleteAnonymous.status == 401)
            let taxi = try await client.call(.get, "/api/templates/\(taxiId)")
            #expect(taxi.status == 200)
            #expect(taxi.json["template"]["tagline"] == "Book rides in seconds")

            let created = try await client.call(.post, "/api/templates", json: body, token: admin.token)
            #expect(created.status == 201)
        }
    }

    @Test func createAnswers201WithVersionOneAndCreator() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        try await app.test { client in
            let admin = try await client.signup()
            let full: JSON = [
                "name": "Bakery", "vertical": "bakery_2", "tier": 3, "description": "Bread and cakes.", "tagline": "Fresh daily",
                "icon": "🥐",
                "required_fields": [
                    "business_name": ["type": "text", "label": "Business Name", "required": true, "placeholder": "Bread Co"],
                    "specialities": ["type": "multiselect", "label": "Specialities", "validation": ["options": ["Bread", "Cakes"]]],
                    "opening": ["type": "time", "label": "Opening", "validation": ["pattern": "^\\d{2}:\\d{2}$"], "helpText": "HH:MM"],
                    "deposit": ["type": "number", "label": "Deposit", "required": false, "validation": ["min": 0, "max": 500], "defaultValue": 0],
                    "area": ["type": "select", "label": "Area", "validation": ["options": ["North", "South"]]],
                    "notes": ["type": "textarea", "label": "Notes"],
                    "menu": ["type": "json", "label": "Menu"],
                ],
                "conversation_flow": [
                    "systemPrompt": "You sell bread for {{business_name}}.", "welcomeMessage": "Welcome to {{business_name}}!",
                    "rules": ["Be warm."], "intents": ["hours": ["triggers": ["open", "hours"], "response": "We open at {{opening}}."]],
                    "handoffConditions": ["Customer is angry"],
                    "exampleConversations": [["customer": "Open?", "bot": "Yes, from {{opening}}."]],
                ],
                "example_prompts": ["Do you bake rye?"], "integrations": ["maps", "payments"], "is_published": true,
            ]
            let r = try await client.call(.post, "/api/templates", json: full, token: admin.token)
            #expect(r.status == 201)
            #expect(keys(r.json) == ["template"])
            let t = r.json["template"]
            #expect(keys(t) == Set(templateKeys))
            let id = try #require(t["id"].stringValue)
            #expect(Identifiers.isUUID(id) && id == id.lowercased())
            #expect(t["version"] == 1)
            #expect(t["created_by"] == .string(admin.userId))
            #expect(t["created_at"] == "2026-01-17T10:22:33.123Z")
            #expect(t["updated_at"] == "2026-01-17T10:22:33.123Z")
            for key in ["name", "vertical", "tier", "description", "tagline", "icon", "example_prompts", "integrations", "is_published"] {
                #expect(t[key] == full[key], "\(key)")
            }
            #expect(canon(t["required_fields"]) == canon(full["required_fields"]))
            #expect(canon(t["conversation_flow"]) == canon(full["conversation_flow"]))
            // Field order is the form and validation order: kept as sent.
            #expect(t["required_fields"].objectValue.map { Array($0.keys) }
                == ["business_name", "specialities", "opening", "deposit", "area", "notes", "menu"])

            let got = try await client.call(.get, "/api/templates/\(id)")
            #expect(got.json == r.json)
            let byVertical = try await client.call(.get, "/api/templates/vertical/bakery_2")
            #expect(byVertical.json["templates"] == [t])

            // Defaults: unpublished, no prompts or integrations, no tagline or icon.
            let minimal = try await client.call(.post, "/api/templates", json: [
                "name": "Minimal", "vertical": "minimal", "tier": 1, "description": "",
                "required_fields": [:], "conversation_flow": ["systemPrompt": "Help."],
            ], token: admin.token)
            #expect(minimal.status == 201)
            let m = minimal.json["template"]
            #expect(keys(m) == Set(templateKeys))
            #expect(m["is_published"] == false)
            #expect(m["example_prompts"] == [])
            #expect(m["integrations"] == [])
            #expect(m["tagline"] == .null)
            #expect(m["icon"] == .null)
            #expect(m["description"] == "")
            #expect(m["required_fields"] == [:])
            #expect(m["conversation_flow"] == ["systemPrompt": "Help."])
            #expect(m["version"] == 1)
            let count = try await rowCount(app, "bot_templates")
            #expect(count == 22)
        }
    }

    @Test func createValidatesEveryField() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let admin = try await client.signup()
            let base = customTemplate(name: "Checked", vertical: "checked", tier: 1)
            func with(_ changes: JSONObject) -> JSON {
                var o = base.objectValue!
                for (k, v) in changes { o[k] = v }
                return .object(o)
            }
            func field(_ definition: JSON) -> JSON { ["k": definition] }
            func flow(_ changes: JSONObject) -> JSON {
                var o: JSONObject = ["systemPrompt": "Help {{business_name}}."]
                for (k, v) in changes { o[k] = v }
                return .object(o)
            }
            let s = { (n: Int) in JSON.string(String(repeating: "x", count: n)) }
            let cases: [(JSON, [String])] = [
                ([:], [
                    "[\"name\"] required", "[\"vertical\"] required", "[\"tier\"] required", "[\"description\"] required",
                    "[\"required_fields\"] required", "[\"conversation_flow\"] required",
                ]),
                (with(["name": ""]), ["[\"name\"] too_small"]),
                (with(["name": s(101)]), ["[\"name\"] too_big"]),
                (with(["vertical": "Bad-Vertical"]), ["[\"vertical\"] invalid_string"]),
                (with(["vertical": "with space"]), ["[\"vertical\"] invalid_string"]),
                (with(["vertical": ""]), ["[\"vertical\"] too_small"]),
                (with(["vertical": .string(String(repeating: "v", count: 51))]), ["[\"vertical\"] too_big"]),
                (with(["tier": "1"]), ["[\"tier\"] invalid_type"]),
                (with(["description": s(2001)]), ["[\"description\"] too_big"]),
                (with(["description": 5]), ["[\"description\"] invalid_type"]),
                (with(["tagline": s(201)]), ["[\"tagline\"] too_big"]),
                (with(["icon": s(17)]), ["[\"icon\"] too_big"]),
                (with(["example_prompts": "x"]), ["[\"example_prompts\"] invalid_type"]),
                (with(["example_prompts": ["ok", 1]]), ["[\"example_prompts\",1] invalid_type"]),
                (with(["integrations": [true]]), ["[\"integrations\",0] invalid_type"]),
                (with(["is_published": "yes"]), ["[\"is_published\"] invalid_type"]),
                (with(["required_fields": "x"]), ["[\"required_fields\"] invalid_type"]),
                (with(["required_fields": ["Bad Key": ["type": "text", "label": "Bad"]]]), ["[\"required_fields\",\"Bad Key\"] invalid_string"]),
                (with(["required_fields": ["1st": ["type": "text", "label": "First"]]]), ["[\"required_fields\",\"1st\"] invalid_string"]),
                (with(["required_fields": field("text")]), ["[\"required_fields\",\"k\"] invalid_type"]),
                (with(["required_fields": field(["label": "K"])]), ["[\"required_fields\",\"k\",\"type\"] required"]),
                (with(["required_fields": field(["type": "color", "label": "K"])]), ["[\"required_fields\",\"k\",\"type\"] invalid_enum_value"]),
                (with(["required_fields": field(["type": "text"])]), ["[\"required_fields\",\"k\",\"label\"] required"]),
                (with(["required_fields": field(["type": "text", "label": ""])]), ["[\"required_fields\",\"k\",\"label\"] too_small"]),
                (with(["required_fields": field(["type": "text", "label": s(101)])]), ["[\"required_fields\",\"k\",\"label\"] too_big"]),
                (with(["required_fields": field(["type": "text", "label": "K", "required": "yes"])]), ["[\"required_fields\",\"k\",\"required\"] invalid_type"]),
                (with(["required_fields": field(["type": "select", "label": "K"])]), ["[\"required_fields\",\"k\",\"validation\",\"options\"] required"]),
                (with(["required_fields": field(["type": "multiselect", "label": "K", "validation": [:]])]),
                 ["[\"required_fields\",\"k\",\"validation\",\"options\"] required"]),
                (with(["required_fields": field(["type": "select", "label": "K", "validation": ["options": []]])]),
                 ["[\"required_fields\",\"k\",\"validation\",\"options\"] too_small"]),
                (with(["required_fields": field(["type": "select", "label": "K", "validation": ["options": "a, b"]])]),
                 ["[\"required_fields\",\"k\",\"validation\",\"options\"] invalid_type"]),
                (with(["required_fields": field(["type": "number", "label": "K", "validation": ["min": "a"]])]),
                 ["[\"required_fields\",\"k\",\"validation\",\"min\"] invalid_type"]),
                (with(["required_fields": field(["type": "number", "label": "K", "validation": ["max": true]])]),
                 ["[\"required_fields\",\"k\",\"validation\",\"max\"] invalid_type"]),
                (with(["required_fields": field(["type": "text", "label": "K", "validation": ["pattern": "("]])]),
                 ["[\"required_fields\",\"k\",\"validation\",\"pattern\"] invalid_string"]),
                (with(["required_fields": field(["type": "text", "label": "K", "validation": "strict"])]),
                 ["[\"required_fields\",\"k\",\"validation\"] invalid_type"]),
                // Every field is checked, in document order.
                (with(["required_fields": [
                    "a": ["type": "text", "label": "A"], "b": ["label": "B"], "c": ["type": "select", "label": "C"], "d": ["type": "text", "label": ""],
                ]]), [
                    "[\"required_fields\",\"b\",\"type\"] required", "[\"required_fields\",\"c\",\"validation\",\"options\"] required",
                    "[\"required_fields\",\"d\",\"label\"] too_small",
                ]),
                (with(["conversation_flow": "x"]), ["[\"conversation_flow\"] invalid_type"]),
                (with(["conversation_flow": [:]]), ["[\"conversation_flow\",\"systemPrompt\"] required"]),
                (with(["conversation_flow": ["systemPrompt": ""]]), ["[\"conversation_flow\",\"systemPrompt\"] too_small"]),
                (with(["conversation_flow": ["systemPrompt": .string(String(repeating: "p", count: 20_001))]]),
                 ["[\"conversation_flow\",\"systemPrompt\"] too_big"]),
                (with(["conversation_flow": flow(["welcomeMessage": 5])]), ["[\"conversation_flow\",\"welcomeMessage\"] invalid_type"]),
                (with(["conversation_flow": flow(["rules": "be nice"])]), ["[\"conversation_flow\",\"rules\"] invalid_type"]),
                (with(["conversation_flow": flow(["intents": ["greet": ["triggers": [], "response": "Hi"]]])]),
                 ["[\"conversation_flow\",\"intents\",\"greet\",\"triggers\"] too_small"]),
                (with(["conversation_flow": flow(["intents": ["greet": ["response": "Hi"]]])]),
                 ["[\"conversation_flow\",\"intents\",\"greet\",\"triggers\"] required"]),
                (with(["conversation_flow": flow(["intents": ["greet": ["triggers": ["hi"]]]])]),
                 ["[\"conversation_flow\",\"intents\",\"greet\",\"response\"] required"]),
                (with(["conversation_flow": flow(["intents": ["greet": ["triggers": ["hi", 3], "response": "Hi"]]])]),
                 ["[\"conversation_flow\",\"intents\",\"greet\",\"triggers\",1] invalid_type"]),
                (with(["conversation_flow": flow(["intents": ["Greet": ["triggers": ["hi"], "response": "Hi"]]])]),
                 ["[\"conversation_flow\",\"intents\",\"Greet\"] invalid_string"]),
                (with(["conversation_flow": flow(["handoffConditions": "angry"])]), ["[\"conversation_flow\",\"handoffConditions\"] invalid_type"]),
                (with(["conversation_flow": flow(["exampleConversations": [["customer": "Hi"]]])]),
                 ["[\"conversation_flow\",\"exampleConversations\",0,\"bot\"] required"]),
            ]
            for (body, expected) in cases {
                let r = try await client.call(.post, "/api/templates", json: body, token: admin.token)
                #expect(r.status == 400, "\(expected)")
                #expect(r.json["error"] == "Validation error", "\(expected)")
                #expect(r.json["message"] == r.json["details"][0]["message"])
                #expect(issueList(r) == expected)
            }
            // tier must be 1, 2 or 3 (an integer).
            for tier: JSON in [0, 4, 1.5, -1] {
                let r = try await client.call(.post, "/api/templates", json: with(["tier": tier]), token: admin.token)
                #expect(r.status == 400, "\(tier)")
                #expect(r.json["details"].arrayValue?.count == 1)
                #expect(r.json["details"][0]["path"] == ["tier"], "\(tier)")
            }
            let count = try await rowCount(app, "bot_templates")
            #expect(count == 20)
            // Boundaries are accepted.
            let edge = try await client.call(.post, "/api/templates", json: with([
                "name": s(100), "vertical": .string(String(repeating: "v", count: 50)), "tier": 3, "description": s(2000),
                "tagline": s(200), "icon": s(16),
            ]), token: admin.token)
            #expect(edge.status == 201)
        }
    }

    @Test func duplicateVerticalAndNameIsAConflict() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let admin = try await client.signup()
            let first = try await client.call(.post, "/api/templates", json: customTemplate(name: "Bakery", vertical: "bakery", tier: 2), token: admin.token)
            #expect(first.status == 201)
            let again = try await client.call(.post, "/api/templates", json: customTemplate(name: "Bakery", vertical: "bakery", tier: 3, published: true),
                                              token: admin.token)
            #expect(again.status == 409)
            #expect(again.json == ["error": "Template already exists"])
            let seeded = try await client.call(.post, "/api/templates", json: customTemplate(name: "Taxi & Shuttle Service", vertical: "taxi", tier: 1),
                                               token: admin.token)
            #expect(seeded.status == 409)
            #expect(seeded.json == ["error": "Template already exists"])
            // Same name in another vertical, or another name in the same vertical, is fine.
            let otherVertical = try await client.call(.post, "/api/templates", json: customTemplate(name: "Bakery", vertical: "patisserie", tier: 2),
                                                      token: admin.token)
            #expect(otherVertical.status == 201)
            let otherName = try await client.call(.post, "/api/templates", json: customTemplate(name: "bakery", vertical: "bakery", tier: 2),
                                                  token: admin.token)
            #expect(otherName.status == 201)
            let count = try await rowCount(app, "bot_templates")
            #expect(count == 23)
        }
    }

    // MARK: T5 update

    @Test func updateBumpsTheVersionOnlyWhenFieldsOrFlowChange() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        try await app.test { client in
            let admin = try await client.signup()
            let created = try await client.call(.post, "/api/templates", json: customTemplate(name: "Bakery", vertical: "bakery", tier: 2),
                                                token: admin.token)
            let original = created.json["template"]
            let id = try #require(original["id"].stringValue)

            func patch(_ body: JSON) async throws -> JSON {
                clock.advance(seconds: 1)
                let r = try await client.call(.patch, "/api/templates/\(id)", json: body, token: admin.token)
                #expect(r.status == 200, "\(body) \(r.text)")
                #expect(keys(r.json) == ["template"])
                #expect(keys(r.json["template"]) == Set(templateKeys))
                #expect(r.json["template"]["updated_at"] == .string(Timestamp.format(epochMilliseconds: clock.nowMilliseconds())))
                return r.json["template"]
            }
            var t = try await patch(["tagline": "Fresh daily", "icon": "🥖", "description": "New description", "tier": 1,
                                     "example_prompts": ["Rye?"], "integrations": ["calendar"], "is_published": true, "name": "Bakery Shop"])
            #expect(t["version"] == 1)
            #expect(t["tagline"] == "Fresh daily")
            #expect(t["icon"] == "🥖")
            #expect(t["description"] == "New description")
            #expect(t["tier"] == 1)
            #expect(t["example_prompts"] == ["Rye?"])
            #expect(t["integrations"] == ["calendar"])
            #expect(t["is_published"] == true)
            #expect(t["name"] == "Bakery Shop")
            #expect(t["vertical"] == "bakery")
            #expect(t["created_at"] == original["created_at"])
            #expect(t["created_by"] == .string(admin.userId))
            #expect(t["required_fields"] == original["required_fields"])
            #expect(t["conversation_flow"] == original["conversation_flow"])

            // The same content again is no change.
            t = try await patch(["required_fields": original["required_fields"], "conversation_flow": original["conversation_flow"]])
            #expect(t["version"] == 1)

            var fields = original["required_fields"].objectValue!
            fields["extra_note"] = ["type": "textarea", "label": "Extra Note"]
            t = try await patch(["required_fields": .object(fields)])
            #expect(t["version"] == 2)
            #expect(t["required_fields"].objectValue.map { Array($0.keys) } == Array(fields.keys))

            t = try await patch(["conversation_flow": ["systemPrompt": "You now sell cakes for {{business_name}}."]])
            #expect(t["version"] == 3)
            #expect(t["conversation_flow"] == ["systemPrompt": "You now sell cakes for {{business_name}}."])

            // Both at once: +1.
            t = try await patch(["required_fields": original["required_fields"], "conversation_flow": original["conversation_flow"]])
            #expect(t["version"] == 4)

            t = try await patch(["is_published": false])
            #expect(t["version"] == 4)
            t = try await patch([:])
            #expect(t["version"] == 4)

            let stored = try await client.call(.get, "/api/templates/\(id)", token: admin.token)
            #expect(stored.json["template"] == t)

            // Same rules as T4; a rejected patch changes nothing.
            let invalid: [(JSON, [String])] = [
                (["name": ""], ["[\"name\"] too_small"]),
                (["vertical": "Not OK"], ["[\"vertical\"] invalid_string"]),
                (["tier": "2"], ["[\"tier\"] invalid_type"]),
                (["required_fields": ["k": ["type": "select", "label": "K"]]], ["[\"required_fields\",\"k\",\"validation\",\"options\"] required"]),
                (["conversation_flow": ["welcomeMessage": "Hi"]], ["[\"conversation_flow\",\"systemPrompt\"] required"]),
                (["is_published": 1, "name": "Renamed"], ["[\"is_published\"] invalid_type"]),
            ]
            for (body, expected) in invalid {
                let r = try await client.call(.patch, "/api/templates/\(id)", json: body, token: admin.token)
                #expect(r.status == 400, "\(body)")
                #expect(r.json["error"] == "Validation error")
                #expect(issueList(r) == expected, "\(body)")
            }
            for tier: JSON in [0, 4] {
                let r = try await client.call(.patch, "/api/templates/\(id)", json: ["tier": tier], token: admin.token)
                #expect(r.status == 400)
                #expect(r.json["details"][0]["path"] == ["tier"])
            }
            let unchanged = try await client.call(.get, "/api/templates/\(id)", token: admin.token)
            #expect(unchanged.json["template"] == t)
        }
    }

    @Test func updateConflictsAndUnknownTemplates() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let admin = try await client.signup()
            let a = try await client.call(.post, "/api/templates", json: customTemplate(name: "Bakery", vertical: "bakery", tier: 2), token: admin.token)
            let b = try await client.call(.post, "/api/templates", json: customTemplate(name: "Cakes", vertical: "cakes", tier: 2), token: admin.token)
            let bId = try #require(b.json["template"]["id"].stringValue)
            let conflict: JSON = ["error": "Template already exists"]

            let rename = try await client.call(.patch, "/api/templates/\(bId)", json: ["name": "Bakery", "vertical": "bakery"], token: admin.token)
            #expect(rename.status == 409)
            #expect(rename.json == conflict)
            // Moving to the vertical where the name already exists is the same conflict.
            let toTaxi = try await client.call(.patch, "/api/templates/\(bId)", json: ["name": "Taxi & Shuttle Service", "vertical": "taxi"],
                                               token: admin.token)
            #expect(toTaxi.status == 409)
            #expect(toTaxi.json == conflict)
            let renameOnly = try await client.call(.patch, "/api/templates/\(bId)", json: ["vertical": "bakery", "name": "Bakery"], token: admin.token)
            #expect(renameOnly.status == 409)
            let unchanged = try await client.call(.get, "/api/templates/\(bId)", token: admin.token)
            #expect(unchanged.json == b.json)

            // Renaming to its own current name is not a conflict.
            let same = try await client.call(.patch, "/api/templates/\(bId)", json: ["name": "Cakes", "vertical": "cakes"], token: admin.token)
            #expect(same.status == 200)
            let ok = try await client.call(.patch, "/api/templates/\(bId)", json: ["name": "Bakery"], token: admin.token)
            #expect(ok.status == 200)
            #expect(ok.json["template"]["name"] == "Bakery")
            #expect(ok.json["template"]["vertical"] == "cakes")
            #expect(a.status == 201)

            let notFound: JSON = ["error": "Template not found"]
            for id in ["5d8e2f14-7a3c-4b91-9e60-c4f2a8d1b7e9", "nope"] {
                let patch = try await client.call(.patch, "/api/templates/\(id)", json: ["name": "X"], token: admin.token)
                #expect(patch.status == 404)
                #expect(patch.json == notFound)
                let delete = try await client.call(.delete, "/api/templates/\(id)", token: admin.token)
                #expect(delete.status == 404)
                #expect(delete.json == notFound)
            }
        }
    }

    // MARK: T6 delete

    @Test func deleteRemovesTheTemplateButBotsKeepTheirConfig() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let admin = try await client.signup()
            let accountId = try await client.connectSandbox(admin)
            let created = try await client.call(.post, "/api/templates", json: customTemplate(name: "Bakery", vertical: "bakery", tier: 2, published: true),
                                                token: admin.token)
            let id = try #require(created.json["template"]["id"].stringValue)
            let bot = try await client.call(.post, "/api/bots/create-from-template", json: [
                "template_id": .string(id), "organization_id": .string(admin.organizationId), "whatsapp_account_id": .string(accountId),
                "bot_name": "Bread Bot", "field_values": ["business_name": "Bread Co"],
            ], token: admin.token)
            #expect(bot.status == 201)
            let botId = try #require(bot.json["bot"]["id"].stringValue)
            let before = try await client.call(.get, "/api/bots/\(botId)", token: admin.token)

            let r = try await client.call(.delete, "/api/templates/\(id)", token: admin.token)
            #expect(r.status == 200)
            #expect(r.json == ["success": true])
            let gone = try await client.call(.get, "/api/templates/\(id)", token: admin.token)
            #expect(gone.status == 404)
            #expect(gone.json == ["error": "Template not found"])
            let again = try await client.call(.delete, "/api/templates/\(id)", token: admin.token)
            #expect(again.status == 404)
            #expect(again.json == ["error": "Template not found"])
            let patch = try await client.call(.patch, "/api/templates/\(id)", json: ["name": "Back"], token: admin.token)
            #expect(patch.status == 404)
            let list = try await client.call(.get, "/api/templates/vertical/bakery")
            #expect(list.json == ["templates": []])
            let count = try await rowCount(app, "bot_templates")
            #expect(count == 20)

            let after = try await client.call(.get, "/api/bots/\(botId)", token: admin.token)
            #expect(after.status == 200)
            #expect(after.json == before.json)
            #expect(after.json["bot"]["template_id"] == .string(id))
            #expect(after.json["bot"]["config"]["template_name"] == "Bakery")
            #expect(after.json["bot"]["config"]["welcomeMessage"] == "Welcome to Bread Co!")

            // A deleted template can no longer be instantiated.
            let retry = try await client.call(.post, "/api/bots/create-from-template", json: [
                "template_id": .string(id), "organization_id": .string(admin.organizationId), "whatsapp_account_id": .string(accountId),
                "bot_name": "Bread Bot 2", "field_values": ["business_name": "Bread Co"],
            ], token: admin.token)
            #expect(retry.status == 404)
            #expect(retry.json == ["error": "Template not found"])
        }
    }

    // MARK: Seed data (behaviour §9.6)

    @Test func everySeededTemplateFollowsTheAuthoringRules() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let r = try await client.call(.get, "/api/templates")
            let templates = try #require(r.json["templates"].arrayValue)
            #expect(templates.count == 20)
            for t in templates {
                let name = t["name"].stringValue ?? "?"
                let comment: Comment = "\(name)"
                let fields = try #require(t["required_fields"].objectValue, comment)
                let flow = t["conversation_flow"]
                let fieldKeys = Array(fields.keys)

                // Fields: business_name first; 6–12 (taxi: 8); at least one select or multiselect; well-formed definitions.
                #expect(fieldKeys.first == "business_name", comment)
                #expect(fields["business_name"]?["type"] == "text", comment)
                #expect(fields["business_name"]?["label"] == "Business Name", comment)
                #expect(fields["business_name"]?["required"] == true, comment)
                if t["vertical"] == "taxi" {
                    #expect(fields.count == 8, comment)
                } else {
                    #expect((6...12).contains(fields.count), comment)
                }
                #expect(fields.values.contains { $0["type"] == "select" || $0["type"] == "multiselect" }, comment)
                for (key, def) in fields {
                    #expect(Formats.isIdentifierKey(key), comment)
                    let type = def["type"].stringValue ?? ""
                    #expect(["text", "textarea", "number", "select", "multiselect", "time", "json"].contains(type), "\(name).\(key)")
                    #expect((1...100).contains(def["label"].stringValue?.count ?? 0), "\(name).\(key)")
                    if type == "select" || type == "multiselect" {
                        #expect((def["validation"]["options"].arrayValue?.count ?? 0) > 0, "\(name).\(key)")
                    }
                    if let pattern = def["validation"]["pattern"].stringValue {
                        #expect((try? Regex(pattern)) != nil, "\(name).\(key)")
                    }
                }
                let requiredKeys = Set(fields.filter { $0.value["required"] == true }.keys)

                // Flow.
                #expect(flow["systemPrompt"].stringValue?.isEmpty == false, comment)
                #expect(placeholders(in: flow["welcomeMessage"].stringValue ?? "").contains("business_name"), comment)
                #expect((5...13).contains(flow["rules"].arrayValue?.count ?? 0), comment)
                let intents = try #require(flow["intents"].objectValue, comment)
                #expect((4...12).contains(intents.count), comment)
                for (intentName, intent) in intents {
                    #expect(Formats.isIdentifierKey(intentName), "\(name).\(intentName)")
                    #expect((intent["triggers"].arrayValue?.count ?? 0) >= 2, "\(name).\(intentName)")
                    #expect(intent["triggers"].arrayValue?.allSatisfy { $0.stringValue?.isEmpty == false } == true, "\(name).\(intentName)")
                    let response = intent["response"].stringValue ?? ""
                    #expect(!response.isEmpty, "\(name).\(intentName)")
                    for key in placeholders(in: response) {
                        #expect(requiredKeys.contains(key), "\(name).\(intentName) uses {{\(key)}}")
                    }
                }
                let handoff = flow["handoffConditions"].arrayValue?.compactMap(\.stringValue) ?? []
                #expect((4...10).contains(handoff.count), comment)
                #expect(handoff.contains { $0.lowercased().contains("angry") || $0.lowercased().contains("frustrated") }, comment)
                #expect((4...5).contains(t["example_prompts"].arrayValue?.count ?? 0), comment)
                let integrations = t["integrations"].arrayValue?.compactMap(\.stringValue) ?? ["<not an array>"]
                #expect(Set(integrations).isSubset(of: ["maps", "calendar", "payments", "ical_sync"]), comment)
            }
        }
    }

    @Test func taxiTemplateIsTheNormativeReference() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let r = try await client.call(.get, "/api/templates/vertical/taxi")
            let taxi = r.json["templates"][0]
            #expect(taxi["name"] == "Taxi & Shuttle Service")
            #expect(taxi["vertical"] == "taxi")
            #expect(taxi["tier"] == 1)
            #expect(taxi["icon"] == "🚕")
            #expect(taxi["integrations"] == ["maps"])
            #expect(taxi["is_published"] == true)
            #expect(taxi["version"] == 1)
            #expect(taxi["created_by"] == .null)

            let fields = try #require(taxi["required_fields"].objectValue)
            #expect(Array(fields.keys) == [
                "business_name", "service_area", "vehicle_types", "pricing_model", "operating_hours", "booking_phone", "base_rate", "per_km_rate",
            ])
            let expected: [(String, String, String, Bool)] = [
                ("business_name", "text", "Business Name", true), ("service_area", "text", "Service Area", true),
                ("vehicle_types", "multiselect", "Vehicle Types", true), ("pricing_model", "select", "Pricing Model", true),
                ("operating_hours", "text", "Operating Hours", true), ("booking_phone", "text", "Booking Phone", true),
                ("base_rate", "number", "Base Rate (R)", false), ("per_km_rate", "number", "Per Kilometer Rate (R)", false),
            ]
            for (key, type, label, required) in expected {
                let def = fields[key] ?? .null
                #expect(def["type"] == .string(type), "\(key)")
                #expect(def["label"] == .string(label), "\(key)")
                #expect((def["required"].boolValue ?? false) == required, "\(key)")
            }
            #expect(fields["vehicle_types"]?["validation"]["options"] == ["Sedan (4 seater)", "SUV (6 seater)", "Mini-bus (14 seater)", "Luxury vehicle"])
            #expect(fields["pricing_model"]?["validation"]["options"] == ["Per kilometer", "Fixed routes", "Hourly rate", "Custom quote"])
            #expect(fields["base_rate"]?["validation"]["min"].numberValue == 0)
            #expect(fields["per_km_rate"]?["validation"]["min"].numberValue == 0)
            #expect(fields["base_rate"]?["validation"]["max"] == .null)
            #expect(fields["per_km_rate"]?["validation"]["max"] == .null)
            for key in ["business_name", "service_area", "operating_hours", "booking_phone"] {
                #expect(fields[key]?["validation"]["pattern"] == .null, "\(key)")
            }

            let flow = taxi["conversation_flow"]
            let intents = try #require(flow["intents"].objectValue)
            #expect(Set(intents.keys) == ["booking", "pricing", "hours", "vehicles", "contact"])
            #expect(intents["booking"]?["triggers"] == ["book", "ride", "pickup", "taxi"])
            #expect(intents["pricing"]?["triggers"] == ["price", "cost", "fare", "how much", "rate"])
            #expect(intents["hours"]?["triggers"] == ["open", "hours", "operating", "available"])
            #expect(intents["vehicles"]?["triggers"] == ["vehicle", "car", "seater", "van"])
            #expect(intents["contact"]?["triggers"] == ["phone", "call", "contact", "number"])

            let handoff = flow["handoffConditions"].arrayValue?.compactMap { $0.stringValue?.lowercased() } ?? []
            #expect(handoff.count == 4)
            #expect(handoff.contains { $0.contains("angry") && $0.contains("frustrated") })
            #expect(handoff.contains { $0.contains("service area") && $0.contains("special arrangement") })
            #expect(handoff.contains { $0.contains("cancel") && $0.contains("modify") })
            #expect(handoff.contains { $0.contains("emergency") && $0.contains("safety") })

            let welcome = placeholders(in: flow["welcomeMessage"].stringValue ?? "")
            #expect(welcome.contains("business_name") && welcome.contains("service_area"))
            let prompt = placeholders(in: flow["systemPrompt"].stringValue ?? "")
            for key in Array(fields.keys) + ["calculated_fare"] {
                #expect(prompt.contains(key), "systemPrompt lacks {{\(key)}}")
            }
        }
    }

    @Test func seedIsNeverOverwrittenNorDuplicated() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        try await app.test { client in
            let admin = try await client.signup()
            let list = try await client.call(.get, "/api/templates")
            let taxiId = try #require(list.json["templates"].arrayValue?.first { $0["vertical"] == "taxi" }?["id"].stringValue)
            let gymId = try #require(list.json["templates"].arrayValue?.first { $0["vertical"] == "gym" }?["id"].stringValue)

            // An operator edit in the database and an admin edit through the API.
            try await app.database.write { db in
                try db.execute(sql: """
                    UPDATE bot_templates SET description = 'Operator text', required_fields = '{"business_name":{"type":"text","label":"Name","required":true}}',
                        is_published = 0 WHERE id = ?
                    """, arguments: [taxiId])
            }
            let patched = try await client.call(.patch, "/api/templates/\(gymId)", json: ["tagline": "Edited", "conversation_flow": ["systemPrompt": "Short."]],
                                                token: admin.token)
            #expect(patched.status == 200)
            #expect(patched.json["template"]["version"] == 2)
            let snapshot = try await allTemplateRows(app)

            clock.advance(seconds: 3600)
            let result = try await Seeder.run(app.database, clock: clock)
            #expect(result.templatesInserted == 0)
            let afterRows = try await allTemplateRows(app)
            #expect(afterRows == snapshot)
            #expect(afterRows.count == 20)

            let taxi = try await client.call(.get, "/api/templates/\(taxiId)", token: admin.token)
            #expect(taxi.json["template"]["description"] == "Operator text")
            #expect(taxi.json["template"]["is_published"] == false)
            #expect(taxi.json["template"]["required_fields"] == ["business_name": ["type": "text", "label": "Name", "required": true]])
            let gym = try await client.call(.get, "/api/templates/\(gymId)")
            #expect(gym.json["template"]["tagline"] == "Edited")
            #expect(gym.json["template"]["version"] == 2)
            let published = try await client.call(.get, "/api/templates")
            #expect(published.json["templates"].arrayValue?.count == 19)

            // A seeded template that is missing (deleted) is seeded again; nothing else is touched.
            let deleted = try await client.call(.delete, "/api/templates/\(gymId)", token: admin.token)
            #expect(deleted.status == 200)
            let again = try await Seeder.run(app.database, clock: clock)
            #expect(again.templatesInserted == 1)
            let rows = try await allTemplateRows(app)
            #expect(rows.count == 20)
            #expect(rows.filter { $0.contains("\"vertical\":\"gym\"") }.count == 1)
            let restored = try await client.call(.get, "/api/templates/vertical/gym")
            #expect(restored.json["templates"][0]["version"] == 1)
            #expect(restored.json["templates"][0]["tagline"] != "Edited")
            let taxiAfter = try await client.call(.get, "/api/templates/\(taxiId)", token: admin.token)
            #expect(taxiAfter.json == taxi.json)
        }
    }
}

// MARK: - Helpers

private let templateKeys = [
    "id", "name", "vertical", "tier", "description", "tagline", "icon", "required_fields", "conversation_flow", "example_prompts",
    "integrations", "is_published", "version", "created_by", "created_at", "updated_at",
]

private struct SeededTemplate { let tier: Int; let vertical: String; let name: String; let icon: String }

/// behaviour §9.6, in list order (tier asc, then name by code point).
private let seededInListOrder: [SeededTemplate] = [
    .init(tier: 1, vertical: "ecommerce", name: "E-commerce Store", icon: "🛍️"),
    .init(tier: 1, vertical: "gym", name: "Gym & Fitness Studio", icon: "🏋️"),
    .init(tier: 1, vertical: "salon", name: "Hair & Beauty Salon", icon: "💇"),
    .init(tier: 1, vertical: "medical", name: "Medical Practice", icon: "🏥"),
    .init(tier: 1, vertical: "real_estate", name: "Real Estate Agency", icon: "🏠"),
    .init(tier: 1, vertical: "restaurant", name: "Restaurant", icon: "🍽️"),
    .init(tier: 1, vertical: "taxi", name: "Taxi & Shuttle Service", icon: "🚕"),
    .init(tier: 2, vertical: "car_rental", name: "Car Rental", icon: "🚗"),
    .init(tier: 2, vertical: "doctor", name: "Doctor's Rooms", icon: "🩺"),
    .init(tier: 2, vertical: "hotel", name: "Hotel & Guesthouse", icon: "🏨"),
    .init(tier: 2, vertical: "plumber", name: "Plumbing Services", icon: "🔧"),
    .init(tier: 2, vertical: "retail", name: "Retail Shop", icon: "🏪"),
    .init(tier: 3, vertical: "accountant", name: "Accounting Firm", icon: "📊"),
    .init(tier: 3, vertical: "auto_mechanic", name: "Auto Mechanic", icon: "🔩"),
    .init(tier: 3, vertical: "cleaning", name: "Cleaning Services", icon: "🧹"),
    .init(tier: 3, vertical: "airbnb", name: "Holiday Rental", icon: "🏡"),
    .init(tier: 3, vertical: "lawyer", name: "Law Firm", icon: "⚖️"),
    .init(tier: 3, vertical: "travel_agency", name: "Travel Agency", icon: "✈️"),
    .init(tier: 3, vertical: "tutor", name: "Tutoring Services", icon: "📚"),
    .init(tier: 3, vertical: "veterinarian", name: "Veterinary Clinic", icon: "🐾"),
]

/// A small valid T4 body.
private func customTemplate(name: String, vertical: String, tier: Int, published: Bool = false) -> JSON {
    [
        "name": .string(name), "vertical": .string(vertical), "tier": .int(tier), "description": "A custom template.",
        "required_fields": [
            "business_name": ["type": "text", "label": "Business Name", "required": true],
            "style": ["type": "select", "label": "Style", "validation": ["options": ["Classic", "Modern"]]],
        ],
        "conversation_flow": [
            "systemPrompt": "You help customers of {{business_name}}.", "welcomeMessage": "Welcome to {{business_name}}!",
            "intents": ["hello": ["triggers": ["hi", "hello"], "response": "Hello from {{business_name}}."]],
        ],
        "is_published": .bool(published),
    ]
}

/// The keys of every `{{ key }}` placeholder (behaviour §9.4 syntax).
private func placeholders(in text: String) -> [String] {
    guard let regex = try? Regex("\\{\\{ *([A-Za-z0-9_]+) *\\}\\}") else { return [] }
    return text.matches(of: regex).compactMap { match in match.output[1].substring.map(String.init) }
}

private func codePointLess(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.map(\.value).lexicographicallyPrecedes(b.unicodeScalars.map(\.value))
}

/// Every template row as one JSON text per row (all columns), ordered by id.
private func allTemplateRows(_ app: TestAppliance) async throws -> [String] {
    try await app.database.read { db in
        try String.fetchAll(db, sql: """
            SELECT json_object('id', id, 'name', name, 'vertical', vertical, 'tier', tier, 'description', description, 'tagline', tagline,
                'icon', icon, 'required_fields', required_fields, 'conversation_flow', conversation_flow, 'example_prompts', example_prompts,
                'integrations', integrations, 'is_published', is_published, 'version', version, 'created_by', created_by,
                'created_at', created_at, 'updated_at', updated_at)
            FROM bot_templates ORDER BY id
            """)
    }
}
