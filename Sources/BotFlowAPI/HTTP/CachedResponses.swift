import BotFlowCache
import BotFlowCore
import BotFlowMessaging
import HTTPTypes
import Hummingbird

extension HTTPField.Name {
    static let xCache = Self("X-Cache")!
}

/// Serves a GET body through the response cache (behaviour §3, api.md §1.13): the bytes of a MISS are stored as
/// written, a HIT returns them untouched, and `X-Cache` says which. Callers authorise before calling.
struct CachedResponses: Sendable {
    let cache: ResponseCache

    func respond(_ key: String, tier: CacheTier, owner: String? = nil, _ compute: @escaping @Sendable () async throws -> JSON) async throws -> Response {
        let (body, hit) = try await cache.fetchBody(key, tier: tier, owner: owner) { JSONWriter.bytes(try await compute()) }
        return Response.bytes(body, headers: [.xCache: hit ? "HIT" : "MISS"])
    }

    /// A cached endpoint's response that must not come from the cache (e.g. an admin reading unpublished templates).
    func uncached(_ value: JSON) -> Response { Response.json(value, headers: [.xCache: "MISS"]) }

    func invalidate(_ patterns: [CacheKeyPattern]) { cache.invalidate(patterns) }
}

extension CacheInvalidation {
    /// The keys a committed pipeline change deletes.
    static func patterns(for event: PipelineEvent) -> [CacheKeyPattern] {
        switch event {
        case .messagesStored(let org, let conversation, _): messageStored(org: org, conversation: conversation)
        case .messageStatusChanged(let org, let conversation, _): messageStatusChanged(org: org, conversation: conversation)
        case .conversationChanged(let org, let conversation): conversationChanged(org: org, conversation: conversation)
        }
    }
}
