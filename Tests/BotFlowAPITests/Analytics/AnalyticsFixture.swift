import BotFlowAPI
import BotFlowCore
import BotFlowStorage
import BotFlowTestSupport
import GRDB
import Hummingbird
import HummingbirdTesting

/// A manual-clock appliance with the dataset inserted: owner of the first organization, its bots and names.
struct AnalyticsFixture: Sendable {
    let clock: ManualClock
    let app: TestAppliance
    let owner: Account
    let other: Account
    let data: AnalyticsDataset
    var botNames: [String: String] { [data.botA: "Ana \"the\" Bot", data.botB: "Bravo"] }

    /// 2026-01-17T10:22:33.123Z, like every ManualClock.
    /// `live`: a real server on a local port (`client.port`), for the WebSocket stream.
    static func make(live: Bool = false, _ body: @Sendable (AnalyticsFixture, any TestClientProtocol) async throws -> Void) async throws {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock)
        try await buildApplication(app.deps).test(live ? .live : .router) { client in
            let owner = try await client.signup()
            let other = try await client.signup(organization: "Other Tenant")
            let accountA = try await client.connectSandbox(owner, phone: "+27820000011")
            let accountB = try await client.connectSandbox(other, phone: "+27820000012")
            let (botA, botB, otherBot) = (Identifiers.uuid(), Identifiers.uuid(), Identifiers.uuid())
            try await app.database.write { db in
                for (id, org, name) in [(botA, owner.organizationId, "Ana \"the\" Bot"), (botB, owner.organizationId, "Bravo"),
                                        (otherBot, other.organizationId, "Elsewhere")] {
                    try db.execute(sql: "INSERT INTO bots (id, organization_id, name) VALUES (?, ?, ?)", arguments: [id, org, name])
                }
            }
            let data = AnalyticsDataset(now: clock.nowMilliseconds(), org: owner.organizationId, otherOrg: other.organizationId,
                                        botA: botA, botB: botB, otherBot: otherBot)
            try await data.insert(app.database, accounts: [owner.organizationId: accountA, other.organizationId: accountB])
            try await body(AnalyticsFixture(clock: clock, app: app, owner: owner, other: other, data: data), client)
        }
    }

    func get(_ client: any TestClientProtocol, _ path: String, token: String? = nil) async throws -> TestResult {
        try await client.call(.get, path, token: token ?? owner.token)
    }

    /// Enqueues the rollups due now (each catches up) and waits for them.
    func rollUp() async throws {
        try await app.deps.analytics.scheduler.enqueueDue(nowMilliseconds: clock.nowMilliseconds())
        try await app.waitForJobsToSettle()
        let stuck = try await app.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs WHERE type LIKE 'rollup%' AND state != 'succeeded'") ?? 0
        }
        if stuck != 0 { throw TestSetupError("rollup jobs did not succeed") }
    }

    func rows(_ sql: String, _ arguments: StatementArguments = []) async throws -> [RowSnapshot] {
        try await app.database.read { db in try Row.fetchAll(db, sql: sql, arguments: arguments).map(RowSnapshot.init) }
    }
}

extension JSON {
    /// The numbers of each point of a series, in `keys` order.
    func points(_ keys: [String]) -> [[Int]] {
        (self["data"].arrayValue ?? []).map { p in keys.map { Int(p[$0].integerValue ?? -1) } }
    }
}

/// JSON equality where numbers compare by value: the parser reads `79` back as an integer even when it was written
/// from the double 79.0.
func sameNumbers(_ a: JSON, _ b: JSON) -> Bool {
    switch (a, b) {
    case (.object(let x), .object(let y)):
        return Array(x.keys) == Array(y.keys) && x.keys.allSatisfy { sameNumbers(x[$0]!, y[$0]!) }
    case (.array(let x), .array(let y)):
        return x.count == y.count && zip(x, y).allSatisfy(sameNumbers)
    default:
        if let p = a.numberValue, let q = b.numberValue { return p == q }
        return a == b
    }
}
