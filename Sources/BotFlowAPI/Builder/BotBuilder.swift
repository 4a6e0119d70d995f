import BotFlowCore
import BotFlowDomain
import BotFlowMessaging
import BotFlowStorage

/// BB1–BB5 (api.md §4.7, behaviour §8.7). Bodies are validated first, then the bot must be in the caller's
/// organization, then LLM-only operations need the LLM. Without it, generate and optimize are deterministic and
/// recommend never uses it.
struct BotBuilder: Sendable {
    let database: AppDatabase
    let llm: (any LLMJSONCompleting)?
    /// `LLM_MODEL` when set, else `gpt-4o`.
    let model: String

    init(database: AppDatabase, settings: Settings, llm: (any LLMJSONCompleting)?) {
        self.database = database
        self.llm = llm
        model = settings.llmModel.isEmpty ? "gpt-4o" : settings.llmModel
    }

    // MARK: BB1

    func analyze(botId: String, body: JSON, identity: Identity) async throws -> JSON {
        let description = try BuilderError.validated(body) { v in v.string("description", required: true, min: 10, max: 5000) }!
        try await requireBot(botId, identity: identity)
        let intent = try await analyzeWithLLM(description)
        return ["success": true, "intent": intent.json]
    }

    private func analyzeWithLLM(_ description: String) async throws -> IntentAnalysis {
        let answer = try await ask([("system", BuilderPrompts.analyze), ("user", description)], temperature: 0.3)
        guard let intent = IntentAnalysis.fromLLM(answer) else { throw BuilderError.llmInvalid }
        return intent
    }

    // MARK: BB2

    func generate(botId: String, body: JSON, identity: Identity) async throws -> JSON {
        let intent = try BuilderError.validated(body) { v in IntentAnalysis.read(&v, key: "intent") }!
        let bot = try await requireBot(botId, identity: identity)
        if llm == nil {
            let draft = BlueprintDrafting.generate(intent, botId: bot.id)
            return scored(draft.blueprint, suggestions: draft.suggestions)
        }
        let (blueprint, suggestions) = try await generateWithLLM(intent, botId: bot.id)
        return scored(blueprint, suggestions: suggestions)
    }

    private func generateWithLLM(_ intent: IntentAnalysis, botId: String) async throws -> (JSON, [String]) {
        let answer = try await ask([("system", BuilderPrompts.generate), ("user", JSONWriter.string(intent.json))], temperature: 0.2)
        let candidate = answer["blueprint"].objectValue != nil ? answer["blueprint"] : answer
        guard var blueprint = candidate.objectValue, blueprint["nodes"]?.arrayValue != nil, blueprint["edges"]?.arrayValue != nil,
            BuilderValidation.sizeIssues(.object(blueprint)).isEmpty
        else { throw BuilderError.llmInvalid }
        blueprint["bot_id"] = .string(botId)
        if blueprint["version"]?.stringValue == nil { blueprint["version"] = "1.0.0" }
        if blueprint["name"]?.stringValue == nil { blueprint["name"] = "Generated workflow" }
        return (.object(blueprint), (answer["suggestions"].arrayValue ?? []).compactMap(\.stringValue))
    }

    /// The generate answer: validation messages as warnings, the confidence figure, suggestions without repeats.
    private func scored(_ blueprint: JSON, suggestions: [String]) -> JSON {
        let check = BuilderValidation.check(blueprint)
        let confidence = BlueprintDrafting.confidence(blueprint, errors: check.errors.count, warnings: check.warnings.count)
        return [
            "success": true, "blueprint": blueprint, "confidence": .double(confidence),
            "warnings": .strings(check.errors + check.warnings), "suggestions": .strings(unique(suggestions + check.suggestions)),
        ]
    }

    // MARK: BB3

    func conversation(botId: String, body: JSON, identity: Identity) async throws -> JSON {
        let messages = try BuilderError.validated(body) { v in
            var out: [(role: String, content: String)] = []
            for (index, item) in (v.array("messages", required: true, min: 1, max: 20) ?? []).enumerated() {
                var m = Validator(item, path: ["messages", .index(index)])
                if !m.isValid { v.absorb(m); continue }
                let role = m.string("role", required: true, oneOf: ["user", "assistant"])
                let content = m.string("content", required: true, min: 1, max: 5000)
                if let role, let content { out.append((role, content)) }
                v.absorb(m)
            }
            return out
        }
        let bot = try await requireBot(botId, identity: identity)
        let answer = try await ask([("system", BuilderPrompts.conversation)] + messages, temperature: 0.7)
        guard let reply = answer["response"].stringValue else { throw BuilderError.llmInvalid }
        let userMessages = messages.filter { $0.role == "user" }.map(\.content)
        let words = userMessages.reduce(0) { $0 + $1.split(whereSeparator: { $0.isWhitespace }).count }
        let lower = reply.lowercased()
        let complete = (userMessages.count >= 3 && words >= 30) || lower.contains("generating") || lower.contains("i have everything")
        var out: JSONObject = ["success": true, "response": .string(reply), "complete": .bool(complete)]
        if complete {
            let intent = try await analyzeWithLLM(userMessages.joined(separator: "\n"))
            let (blueprint, _) = try await generateWithLLM(intent, botId: bot.id)
            out["intent"] = intent.json
            out["blueprint"] = blueprint
        }
        return .object(out)
    }

    // MARK: BB4

    func optimize(botId: String, body: JSON, identity: Identity) async throws -> JSON {
        let blueprint = try BuilderError.validated(body) { (v: inout Validator) -> JSON? in
            guard let object = v.object("blueprint", required: true) else { return nil }
            for issue in BuilderValidation.sizeIssues(.object(object)) { v.fail(path: issue.path, issue.message, issue.code) }
            return .object(object)
        }!
        try await requireBot(botId, identity: identity)
        guard llm != nil else {
            return ["success": true, "suggestions": .strings(unique(BlueprintDrafting.optimize(blueprint, check: BuilderValidation.check(blueprint))))]
        }
        let answer = try await ask([("system", BuilderPrompts.optimize), ("user", JSONWriter.string(blueprint))], temperature: 0.5)
        guard let items = answer["suggestions"].arrayValue else { throw BuilderError.llmInvalid }
        return ["success": true, "suggestions": .strings(items.compactMap(\.stringValue))]
    }

    // MARK: BB5

    func recommend(botId: String, body: JSON, identity: Identity) async throws -> JSON {
        let (action, previous, integrations) = try BuilderError.validated(body) { v in
            let action = v.string("action", required: true, min: 3, max: 500)
            let context = v.nested("context") { (c: inout Validator) in
                (c.stringArray("previousNodes", itemMax: 100) ?? [], c.stringArray("integrations", itemMax: 100) ?? [])
            }
            return (action ?? "", context?.0 ?? [], context?.1 ?? [])
        }
        try await requireBot(botId, identity: identity)
        let list = NodeRecommender.recommend(action: action, previousNodes: previous, integrations: integrations)
        return ["success": true, "recommendations": .array(list.map(\.json))]
    }

    // MARK: Shared

    @discardableResult
    private func requireBot(_ id: String, identity: Identity) async throws -> BotRecord {
        let orgId = try identity.organizationId()
        let bot = try await database.read { db in try BotRepository.find(db, id: id, organizationId: orgId) }
        guard let bot else { throw BuilderError.botNotFound }
        return bot
    }

    /// One JSON-object completion; 503 when the LLM is off, 502 when it fails or answers something else.
    private func ask(_ messages: [(role: String, content: String)], temperature: Double) async throws -> JSON {
        guard let llm else { throw BuilderError.llmNotConfigured }
        let text: String
        do {
            text = try await llm.completeJSON(model: model, messages: messages, temperature: temperature)
        } catch {
            throw BuilderError.llmInvalid
        }
        guard let json = try? JSONParser.parse(Self.withoutCodeFence(text)), json.objectValue != nil else { throw BuilderError.llmInvalid }
        return json
    }

    /// Some models wrap JSON in a ```json fence even when asked for an object.
    static func withoutCodeFence(_ text: String) -> String {
        var t = text.trimmingWhitespace()
        guard t.hasPrefix("```") else { return t }
        t = String(t.drop { $0 != "\n" }.dropFirst())
        if t.hasSuffix("```") { t = String(t.dropLast(3)) }
        return t
    }

    private func unique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }
}
