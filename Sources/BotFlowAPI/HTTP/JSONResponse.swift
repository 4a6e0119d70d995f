import BotFlowCore
import HTTPTypes
import Hummingbird
import NIOCore

extension Response {
    /// A JSON response, `application/json; charset=utf-8`, written once from the `JSON` value.
    public static func json(_ value: JSON, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        bytes(JSONWriter.bytes(value), status: status, headers: extra)
    }

    /// Pre-encoded JSON bytes (cached bodies are served through this without re-encoding).
    public static func bytes(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:],
                             contentType: String = "application/json; charset=utf-8") -> Response {
        self.bytes(ByteBuffer(bytes: bytes), status: status, headers: extra, contentType: contentType)
    }

    /// The same for a buffer already held (a cached body is sent as stored, without a copy).
    public static func bytes(_ body: ByteBuffer, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:],
                             contentType: String = "application/json; charset=utf-8") -> Response {
        var headers = extra
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}

/// Carries an `APIError` through Hummingbird's middleware as a response-producing error.
public struct APIErrorResponse: Error, HTTPResponseError {
    public let error: APIError
    public init(_ error: APIError) { self.error = error }

    public var status: HTTPResponse.Status { .init(code: error.status) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        for (name, value) in error.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return .json(error.body, status: status, headers: headers)
    }
}
