import BotFlowCore
import BotFlowTestSupport
import Foundation
import GRDB
import Testing

// Helpers shared by the end-to-end suites: polling with a deadline, JSON and form bodies, the API calls the
// scenarios repeat, and read-only looks into the server's SQLite file.

// MARK: Polling

/// Polls `probe` until it returns a value (non-nil), at most `timeout` seconds; throws a descriptive error otherwise.
/// Use instead of fixed sleeps: it returns as soon as the condition holds.
@discardableResult
func eventually<T>(_ what: @autoclosure () -> String, timeout: Double = 10, interval: Double = 0.05,
                   _ probe: () async throws -> T?) async throws -> T {
    let deadline = Date().addingTimeInterval(timeout)
    var lastError: (any Error)?
    while true {
        do {
            if let value = try await probe() { return value }
        } catch {
            lastError = error
        }
        if Date() >= deadline { break }
        try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
    }
    throw ServerError("timed out after \(timeout) s waiting for: \(what())" + (lastError.map { " (last error: \($0))" } ?? ""))
}

/// `eventually` for a plain condition.
func waitUntil(_ what: @autoclosure () -> String, timeout: Double = 10, _ condition: () async throws -> Bool) async throws {
    try await eventually(what(), timeout: timeout) { try await condition() ? true : nil }
}

// MARK: JSON and forms

extension HTTPResult {
    /// The body parsed as JSON (`.null` when it is not JSON).
    var json: JSON { (try? JSONParser.parse(Array(body))) ?? .null }
}

extension JSON {
    /// The same value with every object's keys sorted: compares JSON bodies by content, not key order.
    var canonical: JSON {
        switch self {
        case .object(let o):
            var sorted = JSONObject()
            for key in o.keys.sorted() { sorted[key] = o[key]!.canonical }
            return .object(sorted)
        case .array(let a): return .array(a.map(\.canonical))
        default: return self
        }
    }

    /// Compact JSON text.
    var text: String { String(decoding: JSONWriter.bytes(self), as: UTF8.self) }
}

enum Form {
    /// `application/x-www-form-urlencoded` with everything but RFC 3986 unreserved characters percent-encoded
    /// (so `+` in `whatsapp:+27…` survives as `%2B`).
    static func encode(_ pairs: [(String, String)]) -> Data {
        Data(pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&").utf8)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(b)))
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }
}

// MARK: API calls the scenarios share

extension ServerProcess {
    /// A JSON API call that must answer `expect`; returns the parsed body.
    @discardableResult
    func api(_ method: String, _ path: String, _ body: JSON? = nil, token: String? = nil, expect: Int = 200) async throws -> JSON {
        let response = try await send(method, path, body: body.map { Data(JSONWriter.bytes($0)) },
                                      headers: body == nil ? [:] : ["Content-Type": "application/json"], token: token)
        guard response.status == expect else {
            throw ServerError("\(method) \(path) answered \(response.status) (expected \(expect)): \(response.text)")
        }
        return response.json
    }

    /// Signs up a fresh owner (A1); returns the token and the user id.
    func signup(email: String, organization: String) async throws -> (token: String, userId: String) {
        let body = try await api("POST", "/api/auth/signup", [
            "email": .string(email), "password": "password123", "fullName": "Thandi Mokoena", "organizationName": .string(organization),
        ])
        return (try #require(body["token"].stringValue), try #require(body["user"]["id"].stringValue))
    }

    /// The open or latest conversation of a customer (C1 filtered by `customer_phone`), nil when there is none.
    func conversation(customer phone: String, token: String) async throws -> JSON? {
        let list = try await api("GET", "/api/conversations?customer_phone=\(Form.escape(phone))", token: token)
        let items = list["conversations"].arrayValue ?? []
        return items.first
    }

    /// The conversation's messages (C4), oldest first.
    func messages(conversation id: String, token: String) async throws -> [JSON] {
        try await api("GET", "/api/conversations/\(id)/messages?limit=100", token: token)["messages"].arrayValue ?? []
    }
}

// MARK: The database, read directly

/// Read-only access to a server's SQLite file (WAL mode lets it read while the server writes).
struct DatabaseProbe: Sendable {
    let queue: DatabaseQueue

    init(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        queue = try DatabaseQueue(path: path, configuration: configuration)
    }

    func int(_ sql: String, _ arguments: StatementArguments = []) throws -> Int {
        try queue.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
    }

    func string(_ sql: String, _ arguments: StatementArguments = []) throws -> String? {
        try queue.read { db in try String.fetchOne(db, sql: sql, arguments: arguments) }
    }

    func rows(_ sql: String, _ arguments: StatementArguments = []) throws -> [Row] {
        try queue.read { db in try Row.fetchAll(db, sql: sql, arguments: arguments) }
    }

    /// Jobs not finished yet (`queued`, `running`, `retrying`) of the pipeline types.
    func unfinishedPipelineJobs() throws -> Int {
        try int("SELECT count(*) FROM jobs WHERE state IN ('queued','running','retrying') AND type IN ('reply','deliver')")
    }

    /// The state of the job with this dedupe key (the newest one), nil when there is none.
    func jobState(dedupeKey: String) throws -> String? {
        try string("SELECT state FROM jobs WHERE dedupe_key = ? ORDER BY created_at DESC, rowid DESC LIMIT 1", [dedupeKey])
    }

    /// Waits until the reply and deliver jobs have all finished (the pipeline is quiet).
    func waitForQuiet(timeout: Double = 10) async throws {
        try await waitUntil("the reply/deliver jobs to finish", timeout: timeout) { try unfinishedPipelineJobs() == 0 }
    }
}

// MARK: FakeProvider scripts with distinct ids

extension FakeProvider {
    /// Queues `count` accepted answers, each with a fresh message id (the default answers repeat one id, and
    /// provider ids are unique per account and direction, I-44). Returns the ids in the order they will be given.
    @discardableResult
    func acceptNext(_ count: Int, channel: String) -> [String] {
        (0..<count).map { _ in
            let token = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            switch channel {
            case "meta":
                let id = "wamid.OUT\(token)"
                enqueue(Reply(status: 200, body: #"{"messaging_product":"whatsapp","messages":[{"id":"\#(id)"}]}"#))
                return id
            case "twilio":
                let id = "SM\(token)"
                enqueue(Reply(status: 201, body: #"{"sid":"\#(id)","status":"queued"}"#))
                return id
            default:
                let id = "bird-\(token)"
                enqueue(Reply(status: 200, body: #"{"id":"\#(id)"}"#))
                return id
            }
        }
    }
}
