import BotFlowCore
import BotFlowTestSupport
import GRDB
import HummingbirdTesting
import Testing

/// api.md §4.5 B6; behaviour.md §9.3 (field-value validation), §9.4 (instantiation and placeholders), §9.6 (taxi results).
@Suite struct CreateFromTemplateTests {
    // MARK: Every seeded template

    @Test func everySeededTemplateInstantiatesWithValidValues() async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        try await app.test { client in
            let owner = try await client.signup()
            let accountId = try await client.connectSandbox(owner)
            let list = try await client.call(.get, "/api/templates")
            let templates = try #require(list.json["templates"].arrayValue)
            #expect(templates.count == 20)
            var botIds: [String] = []
            for template in templates {
                let name = template["name"].stringValue ?? "?"
                let comment: Comment = "\(name)"
                let definitions = try #require(template["required_fields"].objectValue, comment)
                var values = JSONObject()
                for (key, definition) in definitions {
                    let value = sampleValue(definition)
                    if let pattern = definition["validation"]["pattern"].stringValue, let text = value.stringValue {
                        let regex = try Regex(pattern)
                        #expect((try? regex.wholeMatch(in: text)) != nil, "\(name).\(key): sample \(text) does not match \(pattern)")
                    }
                    values[key] = value
                }
                let r = try await client.call(.post, "/api/bots/create-from-template", json: [
                    "template_id": template["id"], "organization_id": .string(owner.organizationId),
                    "whatsapp_account_id": .string(accountId), "bot_name": .string("\(name) Bot"), "field_values": .object(values),
                ], token: owner.token)
                #expect(r.status == 201, "\(name): \(r.text)")
                guard r.status == 201 else { continue }
                #expect(keys(r.json) == ["success", "bot", "template"], comment)
                #expect(r.json["success"] == true, comment)
                #expect(r.json["template"] == template, comment)

                let bot = r.json["bot"]
                #expect(keys(bot) == Set(botKeys), comment)
                let id = try #require(bot["id"].stringValue)
                #expect(Identifiers.isUUID(id) && id == id.lowercased(), comment)
                botIds.append(id)
                #expect(bot["user_id"] == .string(owner.userId), comment)
                #expect(bot["organization_id"] == .string(owner.organizationId), comment)
                #expect(bot["whatsapp_account_id"] == .string(accountId), comment)
                #expect(bot["name"] == .string("\(name) Bot"), comment)
                #expect(bot["description"] == template["description"], comment)
                #expect(bot["template_id"] == template["id"], comment)
                #expect(bot["task_type"] == template["vertical"], comment)
                #expect(bot["status"] == "active", comment)
                #expect(bot["is_active"] == true, comment)
                #expect(bot["system_prompt"] == .null, comment)
                #expect(canon(bot["model_config"]) == canon(["provider": "openai", "model": "gpt-4o", "temperature": 0.7]), comment)
                #expect(bot["ai_model"] == "gpt-4o", comment)
                #expect(bot["ai_temperature"].numberValue == 0.7, comment)
                #expect(bot["fallback_behavior"] == "human_handoff", comment)
                #expect(bot["created_at"] == "2026-01-17T10:22:33.123Z", comment)
                #expect(bot["updated_at"] == bot["created_at"], comment)

                let config = bot["config"]
                #expect(bot["configuration"] == config, comment)
                #expect(keys(config) == [
                    "template_id", "template_version", "template_name", "vertical", "field_values", "conversation_flow", "integrations",
                    "welcomeMessage", "fallbackMessage",
                ], comment)
                #expect(config["template_id"] == template["id"], comment)
                #expect(config["template_version"] == 1, comment)
                #expect(config["template_name"] == template["name"], comment)
                #expect(config["vertical"] == template["vertical"], comment)
                #expect(canon(config["field_values"]) == canon(.object(values)), comment)
                #expect(config["integrations"] == template["integrations"], comment)
                #expect(config["fallbackMessage"] == .null, comment)
                #expect(config.objectValue?["fallbackMessage"] == JSON.null, comment)

                let source = template["conversation_flow"]
                let flow = config["conversation_flow"]
                #expect(keys(flow) == keys(source), comment)
                #expect(config["welcomeMessage"] == flow["welcomeMessage"], comment)
                #expect(flow["systemPrompt"] == .string(reference(source["systemPrompt"].stringValue ?? "", values)), comment)
                #expect(flow["welcomeMessage"] == .string(reference(source["welcomeMessage"].stringValue ?? "", values)), comment)
                #expect(flow["rules"] == .array((source["rules"].arrayValue ?? []).map { .string(reference($0.stringValue ?? "", values)) }), comment)
                #expect(flow["handoffConditions"] == source["handoffConditions"], comment)
                for (intentName, intent) in source["intents"].objectValue ?? [:] {
                    #expect(flow["intents"][intentName]["triggers"] == intent["triggers"], "\(name).\(intentName)")
                    #expect(flow["intents"][intentName]["response"] == .string(reference(intent["response"].stringValue ?? "", values)),
                            "\(name).\(intentName)")
                }
                for (i, example) in (source["exampleConversations"].arrayValue ?? []).enumerated() {
                    #expect(flow["exampleConversations"][i]["customer"] == example["customer"], comment)
                    #expect(flow["exampleConversations"][i]["bot"] == .string(reference(example["bot"].stringValue ?? "", values)), comment)
                }

                // No placeholder of a provided field is left anywhere it is substituted.
                var texts = [flow["systemPrompt"], flow["welcomeMessage"]] + (flow["rules"].arrayValue ?? [])
                texts += (flow["intents"].objectValue ?? [:]).values.map { $0["response"] }
                texts += (flow["exampleConversations"].arrayValue ?? []).map { $0["bot"] }
                for text in texts.compactMap(\.stringValue) {
                    for key in placeholderKeys(in: text) {
                        #expect(values[key] == nil, "\(name): {{\(key)}} left in \(text)")
                    }
                }
                let stored = try await client.call(.get, "/api/bots/\(id)", token: owner.token)
                #expect(stored.status == 200)
                #expect(stored.json["bot"]["config"] == config, comment)
            }
            let listed = try await client.call(.get, "/api/bots", token: owner.token)
            #expect(Set(listed.json["bots"].arrayValue?.compactMap { $0["id"].stringValue } ?? []) == Set(botIds))
            let count = try await rowCount(app, "bots")
            #expect(count == 20)
        }
    }

    // MARK: Taxi (behaviour §9.6 expected results)

    @Test func taxiExpectedResults() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let accountId = try await client.connectSandbox(owner)
            let taxi = try await taxiTemplate(client)
            let taxiId = taxi["id"].stringValue!
            func create(_ values: JSON) async throws -> TestResult {
                try await client.call(.post, "/api/bots/create-from-template", json: [
                    "template_id": .string(taxiId), "organization_id": .string(owner.organizationId),
                    "whatsapp_account_id": .string(accountId), "bot_name": "Shuttle Assistant", "field_values": values,
                ], token: owner.token)
            }

            let missing = try await create([
                "business_name": "Test Taxi Service", "business_phone": "+27 21 555 1234", "business_email": "info@testtaxi.co.za",
                "service_area": "Cape Town, Western Cape", "operating_hours": "24/7",
            ])
            #expect(missing.status == 400)
            #expect(missing.json == [
                "error": "Missing required field: Vehicle Types",
                "details": [
                    ["path": ["field_values", "vehicle_types"], "message": "Missing required field: Vehicle Types", "code": "required"],
                    ["path": ["field_values", "pricing_model"], "message": "Missing required field: Pricing Model", "code": "required"],
                    ["path": ["field_values", "booking_phone"], "message": "Missing required field: Booking Phone", "code": "required"],
                ],
            ])

            let values: JSON = [
                "business_name": "Test Taxi Service", "booking_phone": "+27 21 555 1234", "service_area": "Cape Town, Western Cape",
                "pricing_model": "Per kilometer", "vehicle_types": ["Sedan (4 seater)", "SUV (6 seater)"], "operating_hours": "24/7",
                "base_rate": 50, "per_km_rate": 12,
            ]
            let created = try await create(values)
            #expect(created.status == 201)
            let bot = created.json["bot"]
            #expect(bot["task_type"] == "taxi")
            #expect(bot["name"] == "Shuttle Assistant")
            #expect(bot["description"] == "Bookings, fares and pickups for taxi and shuttle operators.")
            #expect(bot["config"]["template_name"] == "Taxi & Shuttle Service")
            #expect(bot["config"]["vertical"] == "taxi")
            #expect(bot["config"]["integrations"] == ["maps"])
            #expect(canon(bot["config"]["field_values"]) == canon(values))
            let welcome = "Hi! Welcome to Test Taxi Service 🚕 We cover Cape Town, Western Cape. How can we help you today?"
            #expect(bot["config"]["welcomeMessage"] == .string(welcome))
            let flow = bot["config"]["conversation_flow"]
            #expect(flow["welcomeMessage"] == .string(welcome))
            let prompt = try #require(flow["systemPrompt"].stringValue)
            #expect(prompt.contains("Vehicles available: Sedan (4 seater), SUV (6 seater)."))
            #expect(prompt.contains("Base rate: R50; per-kilometre rate: R12."))
            #expect(prompt.contains("Pricing model: Per kilometer."))
            #expect(prompt.contains("'Estimated fare: R{{calculated_fare}}'"))
            #expect(placeholderKeys(in: prompt) == ["calculated_fare", "calculated_fare"])
            #expect(prompt == reference(taxi["conversation_flow"]["systemPrompt"].stringValue!, values.objectValue!))
            #expect(flow["intents"]["pricing"]["response"]
                == "Our fares are calculated on this basis: Per kilometer. Send your pickup and drop-off points for an estimate, or call +27 21 555 1234 for a quote.")
            #expect(flow["intents"]["hours"]["response"] == "We operate 24/7 across Cape Town, Western Cape.")
            #expect(flow["intents"]["vehicles"]["triggers"] == ["vehicle", "car", "seater", "van"])
            #expect(flow["handoffConditions"] == taxi["conversation_flow"]["handoffConditions"])

            var perMile = values.objectValue!
            perMile["pricing_model"] = "Per mile"
            let rejected = try await create(.object(perMile))
            #expect(rejected.status == 400)
            let message = "Pricing Model must be one of: Per kilometer, Fixed routes, Hourly rate, Custom quote"
            #expect(rejected.json == [
                "error": .string(message),
                "details": [["path": ["field_values", "pricing_model"], "message": .string(message), "code": "invalid_enum_value"]],
            ])
            let count = try await rowCount(app, "bots")
            #expect(count == 1)
        }
    }

    // MARK: Field-value validation (behaviour §9.3)

    @Test func everyFieldMessageWithItsCode() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let admin = try await client.signup()
            let accountId = try await client.connectSandbox(admin)
            let templateId = try await createCustomTemplate(client, admin)
            func create(_ changes: JSONObject, removing: [String] = []) async throws -> TestResult {
                var values = validValues
                for key in removing { values.removeValue(forKey: key) }
                for (k, v) in changes { values[k] = v }
                return try await client.call(.post, "/api/bots/create-from-template", json: [
                    "template_id": .string(templateId), "organization_id": .string(admin.organizationId),
                    "whatsapp_account_id": .string(accountId), "bot_name": "Cafe Bot", "field_values": .object(values),
                ], token: admin.token)
            }
            func expectFailure(_ changes: JSONObject, removing: [String] = [], key: String, _ message: String, _ code: String,
                               sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let r = try await create(changes, removing: removing)
                #expect(r.status == 400, "\(changes)", sourceLocation: sourceLocation)
                #expect(r.json == [
                    "error": .string(message),
                    "details": [["path": ["field_values", .string(key)], "message": .string(message), "code": .string(code)]],
                ], "\(changes)", sourceLocation: sourceLocation)
            }

            let ok = try await create([:])
            #expect(ok.status == 201, "\(ok.text)")

            // Missing: absent, null, "" — and [] for a multiselect.
            try await expectFailure([:], removing: ["shop_name"], key: "shop_name", "Missing required field: Shop Name", "required")
            try await expectFailure(["shop_name": nil], key: "shop_name", "Missing required field: Shop Name", "required")
            try await expectFailure(["shop_name": ""], key: "shop_name", "Missing required field: Shop Name", "required")
            try await expectFailure(["extras": []], key: "extras", "Missing required field: Extras", "required")
            try await expectFailure(["extras": nil], key: "extras", "Missing required field: Extras", "required")
            try await expectFailure(["capacity": nil], key: "capacity", "Missing required field: Capacity", "required")
            try await expectFailure(["capacity": ""], key: "capacity", "Missing required field: Capacity", "required")
            try await expectFailure(["plan": ""], key: "plan", "Missing required field: Plan", "required")
            try await expectFailure([:], removing: ["opening_time"], key: "opening_time", "Missing required field: Opening Time", "required")

            // Strings.
            try await expectFailure(["shop_name": 42], key: "shop_name", "Field Shop Name must be a string", "invalid_type")
            try await expectFailure(["shop_name": true], key: "shop_name", "Field Shop Name must be a string", "invalid_type")
            try await expectFailure(["notes": ["a"]], key: "notes", "Field Notes must be a string", "invalid_type")
            // [] is only "missing" for a multiselect.
            try await expectFailure(["notes": []], key: "notes", "Field Notes must be a string", "invalid_type")
            try await expectFailure(["opening_time": 830], key: "opening_time", "Field Opening Time must be a string", "invalid_type")

            // Patterns must match the whole value.
            try await expectFailure(["promo_code": "xABC12"], key: "promo_code", "Promo Code has an invalid format", "invalid_string")
            try await expectFailure(["promo_code": "ABC123"], key: "promo_code", "Promo Code has an invalid format", "invalid_string")
            try await expectFailure(["promo_code": "abc12"], key: "promo_code", "Promo Code has an invalid format", "invalid_string")
            try await expectFailure(["opening_time": "8:30"], key: "opening_time", "Opening Time has an invalid format", "invalid_string")
            try await expectFailure(["opening_time": "24:00"], key: "opening_time", "Opening Time has an invalid format", "invalid_string")
            try await expectFailure(["opening_time": "08:30 "], key: "opening_time", "Opening Time has an invalid format", "invalid_string")

            // Numbers: JSON numbers only; bounds in shortest form.
            try await expectFailure(["capacity": "12"], key: "capacity", "Field Capacity must be a number", "invalid_type")
            try await expectFailure(["capacity": true], key: "capacity", "Field Capacity must be a number", "invalid_type")
            try await expectFailure(["capacity": [12]], key: "capacity", "Field Capacity must be a number", "invalid_type")
            try await expectFailure(["capacity": ["n": 12]], key: "capacity", "Field Capacity must be a number", "invalid_type")
            try await expectFailure(["capacity": 0], key: "capacity", "Capacity must be at least 1", "too_small")
            try await expectFailure(["capacity": -3.5], key: "capacity", "Capacity must be at least 1", "too_small")
            try await expectFailure(["capacity": 51], key: "capacity", "Capacity must be at most 50", "too_big")
            try await expectFailure(["capacity": 50.5], key: "capacity", "Capacity must be at most 50", "too_big")
            try await expectFailure(["discount": 0.25], key: "discount", "Discount must be at least 0.5", "too_small")
            try await expectFailure(["discount": 0], key: "discount", "Discount must be at least 0.5", "too_small")
            try await expectFailure(["discount": 100], key: "discount", "Discount must be at most 99.5", "too_big")
            try await expectFailure(["discount": "5"], key: "discount", "Field Discount must be a number", "invalid_type")

            // Select: a string equal (case-sensitive) to one option.
            try await expectFailure(["plan": "pro"], key: "plan", "Plan must be one of: Basic, Pro, Enterprise", "invalid_enum_value")
            try await expectFailure(["plan": 1], key: "plan", "Plan must be one of: Basic, Pro, Enterprise", "invalid_enum_value")
            try await expectFailure(["plan": ["Pro"]], key: "plan", "Plan must be one of: Basic, Pro, Enterprise", "invalid_enum_value")
            try await expectFailure(["currency": "EUR"], key: "currency", "Currency must be one of: ZAR, USD", "invalid_enum_value")

            // Multiselect: an array of options; invalid items in input order, without repeats.
            try await expectFailure(["extras": "Wifi"], key: "extras", "Extras must be an array", "invalid_type")
            try await expectFailure(["extras": ["Wifi": true]], key: "extras", "Extras must be an array", "invalid_type")
            try await expectFailure(["extras": 3], key: "extras", "Extras must be an array", "invalid_type")
            try await expectFailure(["extras": ["Sauna", "Wifi", "Gym", "Sauna", "Gym"]], key: "extras",
                                    "Extras contains invalid values: Sauna, Gym", "invalid_enum_value")
            try await expectFailure(["extras": ["wifi"]], key: "extras", "Extras contains invalid values: wifi", "invalid_enum_value")
            try await expectFailure(["tags": "a"], key: "tags", "Tags must be an array", "invalid_type")

            // JSON: an object or an array.
            try await expectFailure(["settings": "x"], key: "settings", "Field Settings must be a JSON object", "invalid_type")
            try await expectFailure(["settings": 5], key: "settings", "Field Settings must be a JSON object", "invalid_type")
            try await expectFailure(["settings": false], key: "settings", "Field Settings must be a JSON object", "invalid_type")

            // Accepted edge values.
            let accepted: [JSONObject] = [
                ["shop_name": " "], ["capacity": 1], ["capacity": 50], ["capacity": 12.5], ["discount": 0.5], ["discount": 99.5],
                ["promo_code": "ABC12"], ["opening_time": "23:59"], ["settings": []], ["settings": [:]], ["settings": [1, 2]],
                ["extras": ["Pool", "Pool"]], ["plan": "Enterprise"], ["notes": ""], ["promo_code": nil], ["settings": nil],
            ]
            for changes in accepted {
                let r = try await create(changes)
                #expect(r.status == 201, "\(changes): \(r.text)")
            }
            let bots = try await rowCount(app, "bots")
            #expect(bots == accepted.count + 1)
        }
    }

    @Test func everyFailureIsReportedInFieldOrder() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let admin = try await client.signup()
            let accountId = try await client.connectSandbox(admin)
            let templateId = try await createCustomTemplate(client, admin)
            // Keys in a different order than required_fields: details still follow required_fields.
            let r = try await client.call(.post, "/api/bots/create-from-template", json: [
                "template_id": .string(templateId), "organization_id": .string(admin.organizationId),
                "whatsapp_account_id": .string(accountId), "bot_name": "Cafe Bot",
                "field_values": [
                    "tags": "a", "greeting": [], "currency": "EUR", "settings": "x", "extras": ["Sauna", "Wifi", "Gym", "Sauna"],
                    "plan": "pro", "discount": 0.25, "capacity": "12", "opening_time": "8:30", "notes": 5, "promo_code": "xABC12",
                    "shop_name": 42, "unknown_key": "kept",
                ],
            ], token: admin.token)
            #expect(r.status == 400)
            #expect(keys(r.json) == ["error", "details"])
            #expect(r.json["error"] == "Field Shop Name must be a string")
            let expected: [(String, String, String)] = [
                ("shop_name", "Field Shop Name must be a string", "invalid_type"),
                ("promo_code", "Promo Code has an invalid format", "invalid_string"),
                ("notes", "Field Notes must be a string", "invalid_type"),
                ("opening_time", "Opening Time has an invalid format", "invalid_string"),
                ("capacity", "Field Capacity must be a number", "invalid_type"),
                ("discount", "Discount must be at least 0.5", "too_small"),
                ("plan", "Plan must be one of: Basic, Pro, Enterprise", "invalid_enum_value"),
                ("extras", "Extras contains invalid values: Sauna, Gym", "invalid_enum_value"),
                ("settings", "Field Settings must be a JSON object", "invalid_type"),
                ("currency", "Currency must be one of: ZAR, USD", "invalid_enum_value"),
                ("greeting", "Field Greeting must be a string", "invalid_type"),
                ("tags", "Tags must be an array", "invalid_type"),
            ]
            #expect(r.json["details"] == .array(expected.map { key, message, code in
                ["path": ["field_values", .string(key)], "message": .string(message), "code": .string(code)]
            }))

            // Missing required fields and other failures together.
            let mixed = try await client.call(.post, "/api/bots/create-from-template", json: [
                "template_id": .string(templateId), "organization_id": .string(admin.organizationId),
                "whatsapp_account_id": .string(accountId), "bot_name": "Cafe Bot",
                "field_values": ["capacity": 99, "extras": []],
            ], token: admin.token)
            #expect(mixed.status == 400)
            #expect(mixed.json["error"] == "Missing required field: Shop Name")
            #expect(mixed.json["details"].arrayValue?.map { "\($0["path"][1].stringValue ?? "") \($0["code"].stringValue ?? "")" } == [
                "shop_name required", "opening_time required", "capacity too_big", "plan required", "extras required",
            ])
            let bots = try await rowCount(app, "bots")
            #expect(bots == 0)
        }
    }

    @Test func defaultsAreStoredAndUnknownKeysKept() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let admin = try await client.signup()
            let accountId = try await client.connectSandbox(admin)
            let templateId = try await createCustomTemplate(client, admin)
            var values = validValues
            values["greeting"] = ""  // missing → default
            values["currency"] = JSON.null  // missing → default
            values["extra_key"] = ["nested": [1, 2]]
            values["another"] = "kept as is {{shop_name}}"
            let r = try await client.call(.post, "/api/bots/create-from-template", json: [
                "template_id": .string(templateId), "organization_id": .string(admin.organizationId),
                "whatsapp_account_id": .string(accountId), "bot_name": "Cafe Bot", "field_values": .object(values),
            ], token: admin.token)
            #expect(r.status == 201, "\(r.text)")
            let stored = r.json["bot"]["config"]["field_values"]
            // Defaults of missing optional fields (tags absent, greeting "", currency null) are stored.
            #expect(stored["greeting"] == "Howzit")
            #expect(stored["currency"] == "ZAR")
            #expect(stored["tags"] == ["a"])
            // Optional fields without a default stay absent; unknown keys are kept unchanged.
            #expect(stored.objectValue?["promo_code"] == nil)
            #expect(stored.objectValue?["discount"] == nil)
            #expect(stored["extra_key"] == ["nested": [1, 2]])
            #expect(stored["another"] == "kept as is {{shop_name}}")
            var expected = validValues
            expected["greeting"] = "Howzit"
            expected["currency"] = "ZAR"
            expected["tags"] = ["a"]
            expected["extra_key"] = ["nested": [1, 2]]
            expected["another"] = "kept as is {{shop_name}}"
            #expect(canon(stored) == canon(.object(expected)))
            // Defaults are substituted like submitted values.
            #expect(r.json["bot"]["config"]["welcomeMessage"] == "Welcome to Corner Cafe! Currency ZAR, greeting Howzit, tags a.")
        }
    }

    // MARK: Placeholder substitution (behaviour §9.4)

    @Test func placeholdersAreSubstitutedByTheRules() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let admin = try await client.signup()
            let accountId = try await client.connectSandbox(admin)
            let templateId = try await createCustomTemplate(client, admin)
            // Raw body so that numbers are spelled `12.0` and `0.50` on the wire.
            let body = """
                {"template_id":"\(templateId)","organization_id":"\(admin.organizationId)","whatsapp_account_id":"\(accountId)",
                 "bot_name":"Cafe Bot","field_values":{"shop_name":"Corner Cafe","opening_time":"08:30","capacity":12.0,"discount":0.50,
                 "plan":"Pro","extras":["Wifi","Pool"],"settings":{"a":1,"b":[true,null],"c":"x \\"q\\""},"notes":null,"greeting":"Hi",
                 "vip":true,"closed":false,"mixed":[1,2.5,"x",false,{"k":"v"},null],"empty_list":[]}}
                """
            let r = try await client.call(.post, "/api/bots/create-from-template", raw: Array(body.utf8), contentType: "application/json",
                                          token: admin.token)
            #expect(r.status == 201, "\(r.text)")
            let flow = r.json["bot"]["config"]["conversation_flow"]
            #expect(flow["systemPrompt"] == .string([
                "You serve Corner Cafe (Corner Cafe, Corner Cafe).",
                "Opens 08:30. Capacity 12. Discount 0.5%. Plan Pro.",
                "Extras: Wifi, Pool. Settings: {\"a\":1,\"b\":[true,null],\"c\":\"x \\\"q\\\"\"}.",
                "Notes: []. VIP true, closed false. Mixed: 1, 2.5, x, false, {\"k\":\"v\"}, . Empty: [].",
                "Unset: {{promo_code}} {{ promo_code }}. Unknown: R{{calculated_fare}} {{ not_a_field }}.",
                "Not placeholders: {{shop-name}} {{ }} {shop_name} {{shop.name}}.",
            ].joined(separator: " ")))
            #expect(flow["welcomeMessage"] == "Welcome to Corner Cafe! Currency ZAR, greeting Hi, tags a.")
            #expect(r.json["bot"]["config"]["welcomeMessage"] == flow["welcomeMessage"])
            #expect(flow["rules"] == ["Mention Corner Cafe.", "Plan is Pro.", "Unknown {{calculated_fare}} stays."])
            #expect(flow["intents"] == [
                "hello": ["triggers": ["hi", "{{shop_name}}"], "response": "Hi from Corner Cafe, extras Wifi, Pool."],
                "hours": ["triggers": ["open", "hours"], "response": "We open at 08:30{{ }}."],
            ])
            #expect(flow["handoffConditions"] == ["Customer is angry at {{shop_name}}", "Frustrated about {{plan}}"])
            #expect(flow["exampleConversations"] == [
                ["customer": "Is {{shop_name}} open?", "bot": "Yes, Corner Cafe opens at 08:30."],
            ])
            // Keys outside the substituted set are copied unchanged.
            #expect(flow["staffNote"] == "Ask {{shop_name}} staff")
            // The template itself is untouched.
            #expect(r.json["template"]["conversation_flow"]["welcomeMessage"] == "Welcome to {{ shop_name }}! Currency {{currency}}, greeting {{greeting}}, tags {{tags}}.")
            let template = try await client.call(.get, "/api/templates/\(templateId)")
            #expect(template.json["template"] == r.json["template"])
        }
    }

    // MARK: Order of checks and request validation

    @Test func checksRunInTheSpecifiedOrder() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let other = try await client.signup(organization: "Other Org")
            let mine = try await client.connectSandbox(owner, phone: "+27820000021")
            let theirs = try await client.connectSandbox(other, phone: "+27820000022")
            let taxi = try await taxiTemplate(client)
            let taxiId = try #require(taxi["id"].stringValue)
            let draft = try await client.call(.post, "/api/templates", json: [
                "name": "Draft", "vertical": "draft", "tier": 1, "description": "", "required_fields": [:],
                "conversation_flow": ["systemPrompt": "Hi"],
            ], token: owner.token)
            let draftId = try #require(draft.json["template"]["id"].stringValue)
            let unknownId = "5d8e2f14-7a3c-4b91-9e60-c4f2a8d1b7e9"
            let badFields: JSON = ["business_name": 5]
            func call(template: String, organization: String, account: String, name: JSON = "Bot", fields: JSON = badFields) async throws -> TestResult {
                try await client.call(.post, "/api/bots/create-from-template", json: [
                    "template_id": .string(template), "organization_id": .string(organization), "whatsapp_account_id": .string(account),
                    "bot_name": name, "field_values": fields,
                ], token: owner.token)
            }

            // 1. Body validation first.
            let invalid = try await call(template: "nope", organization: other.organizationId, account: theirs, name: "")
            #expect(invalid.status == 400)
            #expect(invalid.json["error"] == "Validation error")
            #expect(issueList(invalid) == ["[\"template_id\"] invalid_string", "[\"bot_name\"] too_small"])
            let empty = try await client.call(.post, "/api/bots/create-from-template", json: [:], token: owner.token)
            #expect(empty.status == 400)
            #expect(issueList(empty) == [
                "[\"template_id\"] required", "[\"organization_id\"] required", "[\"whatsapp_account_id\"] required", "[\"bot_name\"] required",
                "[\"field_values\"] required",
            ])
            let types = try await client.call(.post, "/api/bots/create-from-template", json: [
                "template_id": 1, "organization_id": "org", "whatsapp_account_id": "acc", "bot_name": .string(String(repeating: "b", count: 101)),
                "field_values": [],
            ], token: owner.token)
            #expect(types.status == 400)
            #expect(issueList(types) == [
                "[\"template_id\"] invalid_type", "[\"organization_id\"] invalid_string", "[\"whatsapp_account_id\"] invalid_string",
                "[\"bot_name\"] too_big", "[\"field_values\"] invalid_type",
            ])
            let nullFields = try await call(template: taxiId, organization: owner.organizationId, account: mine, fields: nil)
            #expect(nullFields.status == 400)
            #expect(issueList(nullFields) == ["[\"field_values\"] required"])

            // 2. The organization must be the caller's.
            let organizationNotFound: JSON = ["error": "Organization not found"]
            for organization in [other.organizationId, unknownId] {
                let r = try await call(template: unknownId, organization: organization, account: theirs)
                #expect(r.status == 404)
                #expect(r.json == organizationNotFound)
            }

            // 3. The template must exist and be published (even for an admin).
            let templateNotFound: JSON = ["error": "Template not found"]
            for template in [unknownId, draftId] {
                let r = try await call(template: template, organization: owner.organizationId, account: theirs)
                #expect(r.status == 404)
                #expect(r.json == templateNotFound)
            }

            // 4. The account must be one of the organization's.
            let accountNotFound: JSON = ["error": "WhatsApp account not found"]
            for account in [theirs, unknownId] {
                let r = try await call(template: taxiId, organization: owner.organizationId, account: account)
                #expect(r.status == 404)
                #expect(r.json == accountNotFound)
            }

            // 5. Field values last.
            let fields = try await call(template: taxiId, organization: owner.organizationId, account: mine)
            #expect(fields.status == 400)
            #expect(fields.json["error"] == "Field Business Name must be a string")
            #expect(fields.json["details"].arrayValue?.count == 6)

            let bots = try await rowCount(app, "bots")
            let workflows = try await rowCount(app, "bot_workflows")
            #expect(bots == 0)
            #expect(workflows == 0)
            let list = try await client.call(.get, "/api/bots", token: owner.token)
            #expect(list.json == ["bots": []])

            // Upper-case template ids are accepted.
            let upper = try await call(template: taxiId.uppercased(), organization: owner.organizationId, account: mine, fields: taxiValues)
            #expect(upper.status == 201, "\(upper.text)")
            #expect(upper.json["bot"]["template_id"] == .string(taxiId))
            #expect(upper.json["bot"]["config"]["template_id"] == .string(taxiId))
            #expect(upper.json["template"]["id"] == .string(taxiId))

            // The other organization's owner cannot use our account, and its bot lands in its own organization.
            let theirsCreated = try await client.call(.post, "/api/bots/create-from-template", json: [
                "template_id": .string(taxiId), "organization_id": .string(other.organizationId), "whatsapp_account_id": .string(theirs),
                "bot_name": "Their Bot", "field_values": taxiValues,
            ], token: other.token)
            #expect(theirsCreated.status == 201)
            #expect(theirsCreated.json["bot"]["organization_id"] == .string(other.organizationId))
            #expect(theirsCreated.json["bot"]["user_id"] == .string(other.userId))
            let theirList = try await client.call(.get, "/api/bots", token: other.token)
            #expect(theirList.json["bots"].arrayValue?.count == 1)
            let ourList = try await client.call(.get, "/api/bots", token: owner.token)
            #expect(ourList.json["bots"].arrayValue?.compactMap { $0["id"].stringValue } == [upper.json["bot"]["id"].stringValue!])
        }
    }

    @Test func failingRequestsLeaveNoBot() async throws {
        let app = try await TestAppliance.make()
        try await app.test { client in
            let owner = try await client.signup()
            let accountId = try await client.connectSandbox(owner)
            let taxi = try await taxiTemplate(client)
            let taxiId = try #require(taxi["id"].stringValue)
            var bad = taxiValues.objectValue!
            bad["base_rate"] = -1
            let failing: [JSON] = [
                ["template_id": .string(taxiId)],
                ["template_id": .string(taxiId), "organization_id": .string(owner.organizationId), "whatsapp_account_id": .string(accountId),
                 "bot_name": "Bot", "field_values": .object(bad)],
                ["template_id": .string(taxiId), "organization_id": .string(owner.organizationId), "whatsapp_account_id": .string(accountId),
                 "bot_name": "Bot", "field_values": [:]],
            ]
            for body in failing {
                let r = try await client.call(.post, "/api/bots/create-from-template", json: body, token: owner.token)
                #expect(r.status == 400)
            }
            let minimum = try await client.call(.post, "/api/bots/create-from-template", json: failing[1], token: owner.token)
            #expect(minimum.json["error"] == "Base Rate (R) must be at least 0")
            #expect(minimum.json["details"][0]["code"] == "too_small")
            let bots = try await rowCount(app, "bots")
            #expect(bots == 0)
            let unauthorized = try await client.call(.post, "/api/bots/create-from-template", json: failing[1])
            #expect(unauthorized.status == 401)
        }
    }
}

// MARK: - Helpers

private let botKeys = [
    "id", "user_id", "organization_id", "whatsapp_account_id", "name", "description", "template_id", "task_type", "status",
    "is_active", "config", "configuration", "system_prompt", "model_config", "ai_model", "ai_temperature", "fallback_behavior",
    "created_at", "updated_at",
]

private let taxiValues: JSON = [
    "business_name": "Test Taxi Service", "booking_phone": "+27 21 555 1234", "service_area": "Cape Town, Western Cape",
    "pricing_model": "Per kilometer", "vehicle_types": ["Sedan (4 seater)", "SUV (6 seater)"], "operating_hours": "24/7",
    "base_rate": 50, "per_km_rate": 12,
]

/// Valid values for the custom template of `createCustomTemplate` (required fields only).
private let validValues: JSONObject = [
    "shop_name": "Corner Cafe", "opening_time": "08:30", "capacity": 20, "plan": "Pro", "extras": ["Wifi", "Pool"],
]

/// A published template with a field of every type, a pattern, min/max and defaults (bounds spelled `1.0`/`50.0`).
private func createCustomTemplate(_ client: any TestClientProtocol, _ admin: Account) async throws -> String {
    let body = #"""
        {"name":"Corner Cafe Template","vertical":"cafe","tier":2,"description":"Cafes.","is_published":true,
         "required_fields":{
           "shop_name":{"type":"text","label":"Shop Name","required":true},
           "promo_code":{"type":"text","label":"Promo Code","validation":{"pattern":"[A-Z]{3}[0-9]{2}"}},
           "notes":{"type":"textarea","label":"Notes"},
           "opening_time":{"type":"time","label":"Opening Time","required":true,"validation":{"pattern":"([01][0-9]|2[0-3]):[0-5][0-9]"}},
           "capacity":{"type":"number","label":"Capacity","required":true,"validation":{"min":1.0,"max":50.0}},
           "discount":{"type":"number","label":"Discount","validation":{"min":0.5,"max":99.5}},
           "plan":{"type":"select","label":"Plan","required":true,"validation":{"options":["Basic","Pro","Enterprise"]}},
           "extras":{"type":"multiselect","label":"Extras","required":true,"validation":{"options":["Wifi","Parking","Pool"]}},
           "settings":{"type":"json","label":"Settings"},
           "currency":{"type":"select","label":"Currency","validation":{"options":["ZAR","USD"]},"defaultValue":"ZAR"},
           "greeting":{"type":"text","label":"Greeting","defaultValue":"Howzit"},
           "tags":{"type":"multiselect","label":"Tags","validation":{"options":["a","b"]},"defaultValue":["a"]}
         },
         "conversation_flow":{
           "systemPrompt":"You serve {{shop_name}} ({{ shop_name }}, {{shop_name  }}). Opens {{opening_time}}. Capacity {{capacity}}. Discount {{discount}}%. Plan {{plan}}. Extras: {{extras}}. Settings: {{settings}}. Notes: [{{notes}}]. VIP {{vip}}, closed {{closed}}. Mixed: {{mixed}}. Empty: [{{empty_list}}]. Unset: {{promo_code}} {{ promo_code }}. Unknown: R{{calculated_fare}} {{ not_a_field }}. Not placeholders: {{shop-name}} {{ }} {shop_name} {{shop.name}}.",
           "welcomeMessage":"Welcome to {{ shop_name }}! Currency {{currency}}, greeting {{greeting}}, tags {{tags}}.",
           "rules":["Mention {{shop_name}}.","Plan is {{plan}}.","Unknown {{calculated_fare}} stays."],
           "intents":{
             "hello":{"triggers":["hi","{{shop_name}}"],"response":"Hi from {{shop_name}}, extras {{extras}}."},
             "hours":{"triggers":["open","hours"],"response":"We open at {{opening_time}}{{ }}."}
           },
           "handoffConditions":["Customer is angry at {{shop_name}}","Frustrated about {{plan}}"],
           "exampleConversations":[{"customer":"Is {{shop_name}} open?","bot":"Yes, {{shop_name}} opens at {{opening_time}}."}],
           "staffNote":"Ask {{shop_name}} staff"
         }}
        """#
    let r = try await client.call(.post, "/api/templates", raw: Array(body.utf8), contentType: "application/json", token: admin.token)
    guard r.status == 201, let id = r.json["template"]["id"].stringValue else {
        throw TestSetupError("template create failed: \(r.status) \(r.text)")
    }
    return id
}

private func taxiTemplate(_ client: any TestClientProtocol) async throws -> JSON {
    let r = try await client.call(.get, "/api/templates/vertical/taxi")
    guard r.status == 200, r.json["templates"][0]["id"].stringValue != nil else { throw TestSetupError("no taxi template: \(r.text)") }
    return r.json["templates"][0]
}

/// A valid value for a field definition: text → a sample matching any pattern, number → within min/max, select → first
/// option, multiselect → [first option], json → {}.
private func sampleValue(_ definition: JSON) -> JSON {
    let validation = definition["validation"]
    let options = validation["options"].arrayValue ?? []
    switch definition["type"].stringValue ?? "text" {
    case "number":
        var n = validation["min"].numberValue ?? 1
        if let max = validation["max"].numberValue, n > max { n = max }
        return .double(n)
    case "select": return options.first ?? .null
    case "multiselect": return .array(Array(options.prefix(1)))
    case "json": return [:]
    default:
        if validation["pattern"].stringValue != nil { return "09:30" }
        return .string("Sample \(definition["label"].stringValue ?? "value")")
    }
}

/// An independent reading of behaviour §9.4 for the expected texts.
private func reference(_ text: String, _ values: JSONObject) -> String {
    guard let regex = try? Regex("\\{\\{ *([A-Za-z0-9_]+) *\\}\\}") else { return text }
    return text.replacing(regex) { match in
        guard let key = match.output[1].substring.map(String.init), let value = values[key] else { return String(match.output[0].substring ?? "") }
        return format(value)
    }
}

private func format(_ value: JSON) -> String {
    switch value {
    case .null: return ""
    case .string(let s): return s
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .double(let d): return JSONWriter.formatNumber(d)
    case .array(let items): return items.map(format).joined(separator: ", ")
    case .object: return JSONWriter.string(value)
    }
}

private func placeholderKeys(in text: String) -> [String] {
    guard let regex = try? Regex("\\{\\{ *([A-Za-z0-9_]+) *\\}\\}") else { return [] }
    return text.matches(of: regex).compactMap { match in match.output[1].substring.map(String.init) }
}

