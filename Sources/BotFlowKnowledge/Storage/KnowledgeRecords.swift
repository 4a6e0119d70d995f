import BotFlowCore
import GRDB

/// A row of `knowledge_base_articles` (data-model §2.16) with its chunk count.
public struct ArticleRecord: Sendable {
    public var id: String
    public var botId: String
    public var organizationId: String
    public var title: String
    public var category: String
    public var metadata: JSONObject
    public var createdAt: String
    public var chunkCount: Int

    public var status: String { metadata["status"]?.stringValue ?? "" }

    init(row: Row) {
        id = row["id"]; botId = row["bot_id"]; organizationId = row["organization_id"]; title = row["title"]
        category = row["category"]; metadata = row.json("metadata", fallback: [:]).objectValue ?? [:]
        createdAt = row["created_at"]; chunkCount = row["chunk_count"] ?? 0
    }
}

/// The stored upload (`knowledge_files`, data-model §2.17).
public struct StoredFile: Sendable {
    public var filePath: String
    public var contentType: String
    public var sizeBytes: Int
    public var sha256: String
    public var data: [UInt8]

    public init(filePath: String, contentType: String, sizeBytes: Int, sha256: String, data: [UInt8]) {
        self.filePath = filePath; self.contentType = contentType; self.sizeBytes = sizeBytes; self.sha256 = sha256; self.data = data
    }
}

/// A chunk ready to store, with its vectors (`seq` 0 = whole chunk, then passages).
public struct EmbeddedChunk: Sendable {
    public var chunk: TextChunk
    public var vectors: [[Float]]
    public init(chunk: TextChunk, vectors: [[Float]]) { self.chunk = chunk; self.vectors = vectors }
}

/// A legacy knowledge source (data-model §2.21).
public struct LegacySourceRecord: Sendable {
    public var id: String
    public var botId: String
    public var sourceType: String
    public var content: String
    public var status: String
    public var metadata: JSON
    public var createdAt: String
    public var updatedAt: String
}
