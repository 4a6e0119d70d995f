import BotFlowAPI
import BotFlowCore
import BotFlowStorage
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging

/// A real appliance on a fresh temporary data directory: real migrations, real seed data, real secrets.
/// Tests drive it through HummingbirdTesting's router client (`test`) or read its database directly (`database`).
public final class TestAppliance: Sendable {
    public let dataDirectory: String
    public let deps: AppDependencies

    public var database: AppDatabase { deps.database }
    public var settings: Settings { deps.settings }

    /// Builds an appliance; `configure` adjusts settings (as the environment would) before startup.
    public static func make(clock: any AppClock = SystemClock(), configure: (inout Settings) -> Void = { _ in }) async throws -> TestAppliance {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("botflow-test-\(UUID().uuidString)").path
        var settings = Settings()
        settings.dataDirectory = dir
        settings.port = 0
        settings.logLevel = "error"
        // Tests make many requests from one address; suites that test rate limiting turn the buckets back on.
        settings.rateLimitGlobal = 0
        settings.rateLimitAuth = 0
        settings.rateLimitWebhook = 0
        configure(&settings)
        var logger = Logger(label: "botflow.test")
        logger.logLevel = .critical
        let deps = try await Appliance.prepare(settings: settings, clock: clock, logger: logger)
        return TestAppliance(dataDirectory: dir, deps: deps)
    }

    init(dataDirectory: String, deps: AppDependencies) {
        self.dataDirectory = dataDirectory
        self.deps = deps
    }

    deinit {
        try? deps.database.close()
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    /// Waits (up to 5 s) until no job is queued, running or retrying: background work a request started has settled.
    public func waitForJobsToSettle() async throws {
        for _ in 0..<500 {
            let busy = try await database.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs WHERE state IN ('queued','running','retrying')")!
            }
            if busy == 0 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Runs `body` against the application's router (no sockets).
    public func test<T: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        let app = buildApplication(deps)
        return try await app.test(.router) { client in try await body(client) }
    }
}

/// A response with its body collected and parsed.
public struct TestResult: Sendable {
    public let status: Int
    public let headers: HTTPFields
    public let body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }
    /// The body parsed as JSON (`.null` when it is not JSON).
    public var json: JSON { (try? JSONParser.parse(body)) ?? .null }
    public func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
}

extension TestClientProtocol {
    /// One request. `json` is sent as `application/json`; `raw` bytes with the given content type.
    public func call(
        _ method: HTTPRequest.Method, _ path: String, json: JSON? = nil, raw: [UInt8]? = nil, contentType: String? = nil,
        token: String? = nil, headers extra: [String: String] = [:]
    ) async throws -> TestResult {
        var headers = HTTPFields()
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: JSONWriter.bytes(json))
            headers[.contentType] = contentType ?? "application/json"
        } else if let raw {
            body = ByteBuffer(bytes: raw)
            if let contentType { headers[.contentType] = contentType }
        }
        if let token { headers[.authorization] = "Bearer \(token)" }
        for (k, v) in extra { headers[HTTPField.Name(k)!] = v }
        return try await execute(uri: path, method: method, headers: headers, body: body) { response in
            TestResult(status: Int(response.status.code), headers: response.headers, body: Array(buffer: response.body))
        }
    }

    /// Signs up a user with a new organization; returns its token and ids.
    public func signup(
        email: String = "owner-\(UUID().uuidString.prefix(8).lowercased())@example.com", password: String = "correct horse battery",
        fullName: String = "Thandi Mokoena", organization: String = "Cape Shuttle Co"
    ) async throws -> Account {
        let r = try await call(.post, "/api/auth/signup", json: [
            "email": .string(email), "password": .string(password), "fullName": .string(fullName),
            "organizationName": .string(organization),
        ])
        guard r.status == 200, let token = r.json["token"].stringValue else {
            throw TestSetupError("signup failed: \(r.status) \(r.text)")
        }
        return Account(token: token, userId: r.json["user"]["id"].stringValue!, organizationId: r.json["organization"]["id"].stringValue!,
                       email: email.lowercased(), password: password)
    }

    /// Connects a sandbox number for the account's organization; returns the account id.
    public func connectSandbox(_ account: Account, phone: String = "+27820000001") async throws -> String {
        let r = try await call(.post, "/api/whatsapp/connect", json: ["provider": "sandbox", "phone_number": .string(phone)], token: account.token)
        guard r.status == 200, let id = r.json["whatsappAccount"]["id"].stringValue else {
            throw TestSetupError("connect failed: \(r.status) \(r.text)")
        }
        return id
    }
}

public struct Account: Sendable {
    public let token: String
    public let userId: String
    public let organizationId: String
    public let email: String
    public let password: String
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
