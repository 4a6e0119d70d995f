import BotFlowCore
import GRDB

/// One knowledge hit for the reply pipeline.
public struct KnowledgeHit: Sendable, Equatable {
    public var id: String
    public var content: String
    public var metadata: JSON
    public var similarity: Double
    public init(id: String = "", content: String, metadata: JSON = [:], similarity: Double) {
        self.id = id; self.content = content; self.metadata = metadata; self.similarity = similarity
    }
}

/// The knowledge stage's view of the knowledge base (behaviour §6.5 stage 4). The Knowledge issue provides the real
/// search; until then `NoKnowledge` answers that no bot has vectors.
public protocol KnowledgeSearching: Sendable {
    /// True when the bot has vectors of the current embedding model.
    func hasKnowledge(botId: String) async throws -> Bool
    /// Chunks with similarity strictly greater than `threshold`, best first, at most `limit`.
    func search(botId: String, query: String, limit: Int, threshold: Double) async throws -> [KnowledgeHit]
    /// `hasKnowledge` asked inside a transaction (a reply composed by the webhook's transaction); true when unsure,
    /// which sends the reply through the job that searches.
    func hasKnowledge(_ db: Database, botId: String) throws -> Bool
}

extension KnowledgeSearching {
    public func hasKnowledge(_ db: Database, botId: String) throws -> Bool { true }
}

public struct NoKnowledge: KnowledgeSearching {
    public init() {}
    public func hasKnowledge(botId: String) async throws -> Bool { false }
    public func search(botId: String, query: String, limit: Int, threshold: Double) async throws -> [KnowledgeHit] { [] }
    public func hasKnowledge(_ db: Database, botId: String) throws -> Bool { false }
}

enum KnowledgeExcerpt {
    /// The best hit's excerpt (behaviour §6.5 stage 4): first 1000 characters, cut after the last `.`, `!`, `?` or
    /// newline within them when that position is beyond 200, otherwise cut at 1000 and `…` added.
    static func excerpt(_ content: String) -> String {
        let chars = Array(content)
        guard chars.count > 1000 else { return content }
        let head = Array(chars[..<1000])
        if let cut = head.lastIndex(where: { $0 == "." || $0 == "!" || $0 == "?" || $0 == "\n" }), cut + 1 > 200 {
            return String(head[...cut])
        }
        return String(head) + "…"
    }
}
