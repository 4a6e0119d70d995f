import BotFlowCore

/// Turns texts into L2-normalised vectors tagged with a model id (data-model §6).
public protocol Embedder: Sendable {
    var modelId: String { get }
    /// Only the local embedder stores sentence passages (behaviour §7.4).
    var storesPassages: Bool { get }
    func embed(_ texts: [String]) async throws(EmbeddingError) -> [[Float]]
}

/// An external embedder's failure (retryable: HTTP errors and timeouts, behaviour §7.4).
public struct EmbeddingError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

extension LocalEmbedder: Embedder {
    public var modelId: String { Self.modelId }
    public var storesPassages: Bool { true }
    public func embed(_ texts: [String]) async throws(EmbeddingError) -> [[Float]] { texts.map { embed($0) } }
}

/// The configured embedder (`EMBEDDINGS_PROVIDER`).
public enum Embedders {
    public static func configured(_ settings: Settings) -> any Embedder {
        settings.embeddingsProvider == "openai" ? OpenAIEmbedder(settings: settings) : LocalEmbedder()
    }

    /// The model id vectors are tagged with, without building the embedder.
    public static func modelId(_ settings: Settings) -> String {
        settings.embeddingsProvider == "openai" ? "openai:\(settings.embeddingsModel)" : LocalEmbedder.modelId
    }
}
