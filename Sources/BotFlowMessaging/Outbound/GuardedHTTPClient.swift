import AsyncHTTPClient
import BotFlowCore
import BotFlowSecurity
import Foundation
import NIOCore
import NIOHTTP1

/// Outbound HTTP for workflow nodes (behaviour §5.8): `http`/`https` only, 10 s timeout, bodies read up to 1 MiB,
/// at most 3 redirects — followed here, not by the HTTP client, so the destination rule is checked before the
/// first request and before every redirect.
public struct GuardedHTTPClient: Sendable {
    public struct Reply: Sendable {
        public let status: Int
        public let headers: [(String, String)]
        public let body: [UInt8]
        public let finalURL: String
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    let destinations: OutboundDestinationGuard
    let client: HTTPClient
    public var timeout: TimeAmount = .seconds(10)
    public var maxBodyBytes = 1_048_576
    public var maxRedirects = 3

    /// A client that never follows redirects itself (shared for the process, like `HTTPClient.shared`).
    static let noRedirects = HTTPClient(configuration: .init(redirectConfiguration: .disallow))

    public init(allowPrivate: Bool, resolve: (@Sendable (String) throws -> [[UInt8]])? = nil,
                addressPolicy: (@Sendable ([UInt8]) -> Bool)? = nil) {
        destinations = OutboundDestinationGuard(allowPrivate: allowPrivate, resolve: resolve, isPrivateAddress: addressPolicy)
        client = Self.noRedirects
    }

    /// The headers to send to a redirect target: an https → non-https redirect is refused; credentials are for the
    /// origin they were meant for, so another scheme, host or port does not get the secret ones.
    static func redirectHeaders(_ headers: [(String, String)], from: URL, to: URL, secret: Set<String>) throws -> [(String, String)] {
        if from.scheme?.lowercased() == "https", to.scheme?.lowercased() != "https" {
            throw Failure(message: "Redirect from https to \(to.scheme ?? "another scheme") refused")
        }
        guard !sameOrigin(from, to) else { return headers }
        return headers.filter { !secret.contains($0.0.lowercased()) }
    }

    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        func port(_ u: URL) -> Int? { u.port ?? (u.scheme?.lowercased() == "https" ? 443 : u.scheme?.lowercased() == "http" ? 80 : nil) }
        return a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased() && port(a) == port(b)
    }

    /// A short cause without any URL (client errors may quote the request's URL).
    static func reason(_ error: any Error) -> String {
        if let client = error as? HTTPClientError, [HTTPClientError.deadlineExceeded, .readTimeout, .connectTimeout].contains(client) { return "timed out" }
        if error is IOError { return "connection failed" }
        let text = "\(error)"
        return text.contains("://") ? "request error" : text
    }

    /// For `http://name`, the URL with the host replaced by `address` and the original `Host` value.
    static func pinned(_ url: URL, to address: [UInt8]?) -> (url: String, host: String?) {
        guard let address, url.scheme?.lowercased() == "http", let host = url.host,
              var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return (url.absoluteString, nil) }
        let literal = OutboundDestinationGuard.format(address)
        components.host = address.count == 16 ? "[\(literal)]" : literal
        guard let pinned = components.string else { return (url.absoluteString, nil) }
        return (pinned, url.port.map { "\(host):\($0)" } ?? host)
    }

    /// Headers never sent on to another origin by a redirect (plus the ones a caller marks secret).
    static let credentialHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie", "x-shopify-access-token"]

    /// Error texts name the host at most, never the URL: secrets rendered into a URL must not reach logs or messages.
    public func send(method: String, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
                     secretHeaders: Set<String> = []) async throws -> Reply {
        var current = url
        var method = method
        var body = body
        var headers = headers
        let secret = Self.credentialHeaders.union(secretHeaders.map { $0.lowercased() })
        for hop in 0...maxRedirects {
            guard let parsed = URL(string: current) else { throw Failure(message: hop == 0 ? "Invalid URL" : "Invalid redirect location") }
            let checked: [[UInt8]]
            do { checked = try destinations.check(parsed) } catch { throw Failure(message: "\(error)") }
            // DNS rebinding: a name checked as public must not resolve to a private address when the client connects.
            // Plain http connects to the checked address itself (Host header kept); https keeps the name for TLS
            // verification, so a rebound name fails the certificate check instead.
            let (target, hostHeader) = Self.pinned(parsed, to: checked.first)
            var request = HTTPClientRequest(url: target)
            request.method = HTTPMethod(rawValue: method)
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let hostHeader { request.headers.replaceOrAdd(name: "Host", value: hostHeader) }
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            let response: HTTPClientResponse
            do { response = try await client.execute(request, timeout: timeout) } catch {
                throw Failure(message: "Request to \(parsed.host ?? "the destination") failed: \(Self.reason(error))")
            }
            let status = Int(response.status.code)
            if [301, 302, 303, 307, 308].contains(status), let location = response.headers.first(name: "location") {
                guard hop < maxRedirects else { throw Failure(message: "Too many redirects (more than \(maxRedirects))") }
                guard let nextURL = URL(string: location, relativeTo: parsed)?.absoluteURL else {
                    throw Failure(message: "Invalid redirect location")
                }
                headers = try Self.redirectHeaders(headers, from: parsed, to: nextURL, secret: secret)
                if status == 303 || ((status == 301 || status == 302) && method == "POST") { method = "GET"; body = nil }
                current = nextURL.absoluteString
                continue
            }
            let bytes: ByteBuffer
            do { bytes = try await response.body.collect(upTo: maxBodyBytes) } catch {
                throw Failure(message: "Response body exceeds \(maxBodyBytes) bytes")
            }
            return Reply(status: status, headers: response.headers.map { ($0.name, $0.value) }, body: Array(buffer: bytes), finalURL: current)
        }
        throw Failure(message: "Too many redirects (more than \(maxRedirects))")
    }
}
