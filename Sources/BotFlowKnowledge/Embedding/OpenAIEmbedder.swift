import AsyncHTTPClient
import BotFlowCore
import Foundation
import NIOCore

/// An OpenAI-compatible `/v1/embeddings` endpoint (behaviour §7.4): batches of up to 64 texts, Bearer key, vectors
/// from `data[i].embedding` (ordered by `index` when present), L2-normalised before storage. Off by default.
public struct OpenAIEmbedder: Embedder {
    public static let batchSize = 64
    let baseURL: String
    let apiKey: String
    let model: String
    let http: HTTPClient
    let timeout: TimeAmount

    public init(settings: Settings, http: HTTPClient = .shared, timeoutSeconds: Int64 = 30) {
        baseURL = settings.embeddingsBaseURL.hasSuffix("/") ? String(settings.embeddingsBaseURL.dropLast()) : settings.embeddingsBaseURL
        apiKey = settings.embeddingsAPIKey
        model = settings.embeddingsModel
        self.http = http
        timeout = .seconds(timeoutSeconds)
    }

    public var modelId: String { "openai:\(model)" }
    public var storesPassages: Bool { false }

    public func embed(_ texts: [String]) async throws(EmbeddingError) -> [[Float]] {
        var out: [[Float]] = []
        var start = 0
        while start < texts.count {
            let batch = Array(texts[start..<min(start + Self.batchSize, texts.count)])
            out += try await request(batch)
            start += batch.count
        }
        return out
    }

    private func request(_ batch: [String]) async throws(EmbeddingError) -> [[Float]] {
        var request = HTTPClientRequest(url: baseURL + "/v1/embeddings")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if !apiKey.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        let body: JSON = ["model": .string(model), "input": .array(batch.map { .string($0) })]
        request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(body)))
        let json: JSON
        do {
            let response = try await http.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 64 << 20)
            guard (200..<300).contains(Int(response.status.code)) else { throw EmbeddingError("HTTP \(response.status.code)") }
            json = try JSONParser.parse(bytes.readableBytesView)
        } catch let error as EmbeddingError {
            throw error
        } catch {
            throw EmbeddingError("\(error)")
        }
        guard let data = json["data"].arrayValue, data.count == batch.count else { throw EmbeddingError("unexpected response") }
        var vectors = [[Float]](repeating: [], count: batch.count)
        for (position, item) in data.enumerated() {
            let slot = item["index"].integerValue.map(Int.init) ?? position
            guard slot >= 0, slot < batch.count, let values = item["embedding"].arrayValue, !values.isEmpty else {
                throw EmbeddingError("unexpected response")
            }
            vectors[slot] = VectorCodec.normalised(values.map { Float($0.numberValue ?? 0) })
        }
        guard vectors.allSatisfy({ !$0.isEmpty }) else { throw EmbeddingError("unexpected response") }
        return vectors
    }
}
