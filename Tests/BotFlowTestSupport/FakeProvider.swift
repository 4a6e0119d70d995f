import BotFlowCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A stand-in for the Meta Graph, Bird and Twilio send APIs: a real HTTP server on `127.0.0.1:<ephemeral port>` that
/// records every request and answers from a script. Point `META_GRAPH_BASE_URL`, `BIRD_API_BASE_URL` and
/// `TWILIO_API_BASE_URL` (or the adapters' `baseURL`) at `baseURL`.
///
///     let provider = try await FakeProvider.start()
///     defer { provider.stop() }
///     provider.failNext(2, status: 503)               // the next two requests fail, then defaults resume
///     provider.setReply(.init(status: 400, body: #"{"error":"bad"}"#), forPath: "/123/messages")
///     … send …
///     let request = try #require(provider.requests.last)
///     request.path; request.header("authorization"); request.json; request.form
///
/// Reply precedence: queued replies (`enqueue`/`failNext`, first in first out), then a per-path reply (`setReply`),
/// then the default by path shape — `…/workspaces/…/messages` → Bird `{"id":"bird-msg-1"}`, `…/Messages.json` →
/// Twilio `{"sid":"SM123"}`, other `…/messages` → Meta `{"messages":[{"id":"wamid.TEST"}]}`, anything else `{}` —
/// always status 200.
public final class FakeProvider: Sendable {
    /// One request as the provider saw it.
    public struct RecordedRequest: Sendable {
        public let method: String
        /// The path without the query string.
        public let path: String
        public let query: String?
        /// Header names lower-cased, in arrival order.
        public let headers: [(String, String)]
        public let body: [UInt8]

        public var text: String { String(decoding: body, as: UTF8.self) }
        /// The body as JSON (`.null` when it is not JSON).
        public var json: JSON { (try? JSONParser.parse(body)) ?? .null }
        /// The body as form parameters (Twilio sends).
        public var form: [(String, String)] { FormPairs.parse(body) }
        /// The first value of a header, case-insensitively.
        public func header(_ name: String) -> String? {
            let n = name.lowercased()
            return headers.first { $0.0 == n }?.1
        }
    }

    /// A scripted answer; `delay` holds the response back (to provoke client timeouts).
    public struct Reply: Sendable {
        public var status: Int
        public var body: String
        public var contentType: String
        public var delay: Duration
        public var headers: [(String, String)] = []

        public init(status: Int, body: String = "{}", contentType: String = "application/json", delay: Duration = .zero,
                    headers: [(String, String)] = []) {
            self.headers = headers
            self.status = status; self.body = body; self.contentType = contentType; self.delay = delay
        }

        public static let metaAccepted = Reply(status: 200, body: #"{"messages":[{"id":"wamid.TEST"}]}"#)
        public static let birdAccepted = Reply(status: 200, body: #"{"id":"bird-msg-1"}"#)
        public static let twilioAccepted = Reply(status: 201, body: #"{"sid":"SM123"}"#)
    }

    private struct State {
        var requests: [RecordedRequest] = []
        var queued: [Reply] = []
        var byPath: [String: Reply] = [:]
    }

    private let state = Mutex(State())
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)
    /// The bound port (ephemeral).
    public let port: Int
    /// `http://127.0.0.1:<port>`, no trailing slash.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(port: Int) { self.port = port }

    /// Starts a server on an ephemeral loopback port and returns once it accepts connections.
    public static func start() async throws -> FakeProvider {
        let holder = Holder()
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let router = Router()
        for method in [HTTPRequest.Method.post, .get, .put, .patch, .delete] {
            router.on("**", method: method) { request, _ in try await holder.provider!.handle(request) }
            router.on("/", method: method) { request, _ in try await holder.provider!.handle(request) }
        }
        var logger = Logger(label: "botflow.fake-provider")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "fake-provider"),
            onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        // The provider exists before the first request can arrive: requests wait for it through `holder`.
        let runner = Task {
            do { try await app.runService() } catch {}
            portSink.finish()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            runner.cancel()
            throw TestSetupError("fake provider did not start")
        }
        let provider = FakeProvider(port: port)
        holder.set(provider)
        provider.task.withLock { $0 = runner }
        return provider
    }

    /// Stops the server (cancelling its task); safe to call more than once.
    public func stop() {
        task.withLock { $0?.cancel(); $0 = nil }
    }

    deinit { task.withLock { $0?.cancel() } }

    /// Every request so far, oldest first.
    public var requests: [RecordedRequest] { state.withLock { $0.requests } }

    /// Forgets recorded requests and every script.
    public func reset() { state.withLock { $0 = State() } }

    /// The next request(s) get `reply`, before any per-path or default answer.
    public func enqueue(_ reply: Reply, times: Int = 1) {
        state.withLock { $0.queued.append(contentsOf: Array(repeating: reply, count: times)) }
    }

    /// The next `count` requests answer `status` (e.g. 503 for retryable, 400 for permanent).
    public func failNext(_ count: Int, status: Int, body: String = #"{"error":{"message":"scripted failure"}}"#) {
        enqueue(Reply(status: status, body: body), times: count)
    }

    /// Every request to exactly `path` gets `reply` (until `reset`); nil removes it.
    public func setReply(_ reply: Reply?, forPath path: String) {
        state.withLock { $0.byPath[path] = reply }
    }

    private func handle(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 16 << 20)
        let recorded = RecordedRequest(
            method: request.method.rawValue, path: request.uri.path, query: request.uri.query,
            // HTTP/1 `Host` arrives as the request's authority, not among the header fields.
            headers: (request.head.authority.map { [("host", $0)] } ?? []) + request.headers.map { ($0.name.canonicalName, $0.value) },
            body: Array(buffer: body))
        let reply = state.withLock { s -> Reply in
            s.requests.append(recorded)
            if !s.queued.isEmpty { return s.queued.removeFirst() }
            return s.byPath[recorded.path] ?? Self.defaultReply(path: recorded.path)
        }
        if reply.delay > .zero { try? await Task.sleep(for: reply.delay) }
        var headers: HTTPFields = [.contentType: reply.contentType]
        for (name, value) in reply.headers { if let field = HTTPField.Name(name) { headers[field] = value } }
        return Response(
            status: HTTPResponse.Status(code: reply.status),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: reply.body)))
    }

    static func defaultReply(path: String) -> Reply {
        if path.contains("/workspaces/"), path.hasSuffix("/messages") { return .birdAccepted }
        if path.hasSuffix("/Messages.json") { return .twilioAccepted }
        if path.hasSuffix("/messages") { return .metaAccepted }
        return Reply(status: 200)
    }

    /// Lets the router closures reach the provider, which is created only once the port is known.
    private final class Holder: Sendable {
        private let value = Mutex<FakeProvider?>(nil)
        var provider: FakeProvider? { value.withLock { $0 } }
        func set(_ p: FakeProvider) { value.withLock { $0 = p } }
    }
}

/// Form decoding for recorded Twilio bodies (kept here so BotFlowTestSupport need not depend on BotFlowMessaging).
enum FormPairs {
    static func parse(_ bytes: [UInt8]) -> [(String, String)] {
        bytes.split(separator: UInt8(ascii: "&")).map { part in
            let pieces = part.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(pieces[0]), pieces.count > 1 ? decode(pieces[1]) : "")
        }
    }

    private static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%"), i + 2 < bytes.endIndex,
                let v = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16)
            {
                out.append(v); i += 3; continue
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
