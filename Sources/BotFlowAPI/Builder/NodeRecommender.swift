import BotFlowCore

/// BB5, always rule-based (behaviour §8.7): keywords per node type matched as whole words or phrases, a score for
/// the number of distinct keywords, context boosts, the top three. Scores are kept in hundredths so that ties and
/// caps are exact.
enum NodeRecommender {
    /// The keyword table, in table order (ties keep this order).
    static let keywords: [(type: String, words: [String])] = [
        ("whatsapp_reply", ["reply", "respond", "send", "message", "tell", "answer"]),
        ("ask_question", ["ask", "question", "collect", "find out", "request"]),
        ("if_condition", ["if", "check", "whether", "verify", "condition", "depending"]),
        ("store_variable", ["save", "store", "remember", "keep", "record"]),
        ("text_manipulation", ["format", "uppercase", "lowercase", "replace", "trim", "combine"]),
        ("http_request", ["api", "http", "fetch", "endpoint", "call"]),
        ("database_query", ["database", "query", "sql", "records", "lookup"]),
        ("shopify_lookup", ["shopify", "product", "inventory", "stock"]),
        ("paystack_payment", ["pay", "payment", "paystack", "checkout", "invoice"]),
        ("knowledge_search", ["faq", "knowledge", "document", "docs", "search"]),
        ("openai_chat", ["ai", "gpt", "generate", "summarise", "summarize", "chat"]),
        ("delay", ["wait", "delay", "pause", "later"]),
        ("switch_case", ["menu", "options", "choose", "choice", "route"]),
        ("loop", ["each", "every", "loop", "iterate", "list"]),
        ("error_handler", ["error", "fail", "failure", "retry", "fallback"]),
        ("webhook_callback", ["webhook", "notify", "callback", "post to"]),
    ]

    struct Recommendation: Equatable {
        let nodeType: String
        let hundredths: Int
        let matched: [String]

        var json: JSON {
            ["node_type": .string(nodeType), "confidence": .double(Double(hundredths) / 100),
             "reasoning": .string("Matched: " + matched.joined(separator: ", "))]
        }
    }

    static func recommend(action: String, previousNodes: [String], integrations: [String]) -> [Recommendation] {
        let words = Self.words(action)
        let last = previousNodes.last
        let services = integrations.map { $0.lowercased() }.filter { !$0.isEmpty }
        var scored: [Recommendation] = []
        for (type, table) in keywords {
            let matched = table.filter { contains(words, phrase: Self.words($0)) }
            guard !matched.isEmpty else { continue }
            var score = min(70 + 15 * (matched.count - 1), 95)
            var boost = 0
            if services.contains(where: { type.contains($0) }) { boost += 20 }
            if last == "ask_question" {
                if type == "store_variable" { boost += 15 }
                if type == "if_condition" { boost += 10 }
            }
            if let last, ["shopify_lookup", "paystack_payment", "http_request"].contains(last) {
                if type == "if_condition" { boost += 15 }
                if type == "whatsapp_reply" { boost += 10 }
            }
            if boost > 0 { score = min(score + boost, 98) }
            scored.append(Recommendation(nodeType: type, hundredths: score, matched: matched))
        }
        // A stable sort keeps table order among equal scores.
        let ranked = scored.enumerated().sorted { a, b in
            a.element.hundredths != b.element.hundredths ? a.element.hundredths > b.element.hundredths : a.offset < b.offset
        }
        return ranked.prefix(3).map(\.element)
    }

    /// Lower-cased runs of letters and digits.
    static func words(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for ch in text.lowercased() {
            if ch.isLetter || ch.isNumber {
                current.append(ch)
            } else if !current.isEmpty {
                out.append(current); current = ""
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// True when `phrase` occurs as consecutive whole words.
    static func contains(_ words: [String], phrase: [String]) -> Bool {
        guard !phrase.isEmpty, words.count >= phrase.count else { return false }
        for start in 0...(words.count - phrase.count) where Array(words[start..<(start + phrase.count)]) == phrase { return true }
        return false
    }
}
