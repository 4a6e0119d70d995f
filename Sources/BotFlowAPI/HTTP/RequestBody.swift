import BotFlowCore
import HTTPTypes
import Hummingbird
import NIOCore

/// Reads and parses a JSON request body under the rules of api.md §1.2: empty → `{}`, other media types → 415,
/// malformed → 400, over the limit → 413.
struct JSONBodyReader: Sendable {
    let limit: Int

    func read(_ request: Request) async throws -> JSON {
        switch request.method {
        case .get, .head, .delete, .options: return [:]
        default: break
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIErrorResponse(.payloadTooLarge(limit: limit))
        }
        let buffer = try await collect(request, limit: limit)
        if buffer.readableBytes == 0 { return [:] }
        guard Self.isJSON(request.headers[.contentType]) else { throw APIErrorResponse(.unsupportedMediaType) }
        do {
            return try JSONParser.parse(buffer.readableBytesView)
        } catch {
            throw APIErrorResponse(.invalidJSON)
        }
    }

    /// The raw bytes (webhooks, uploads), bounded by `limit`.
    func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIErrorResponse(.payloadTooLarge(limit: limit))
        } catch is NIOTooManyBytesError {
            throw APIErrorResponse(.payloadTooLarge(limit: limit))
        }
    }

    /// `application/json` with any parameters (e.g. `; charset=utf-8`), case-insensitive.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map { String($0).trimmingWhitespace() } ?? ""
        return mediaType.lowercased() == "application/json"
    }
}
