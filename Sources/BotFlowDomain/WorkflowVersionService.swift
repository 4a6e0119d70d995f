import BotFlowCore
import BotFlowStorage
import BotFlowWorkflow
import GRDB

/// Workflow versions (api.md §4.6 WF1–WF7): drafts, activation with re-validation, rollback, archive rules; at most
/// one active version per bot (I-54).
public struct WorkflowVersionService: Sendable {
    let context: DomainContext
    public init(_ context: DomainContext) { self.context = context }

    static let botNotFound = APIError.notFound("Bot not found")
    static let versionNotFound = APIError.notFound("Workflow version not found")

    public struct Stats: Sendable {
        public var totalVersions: Int
        public var activeVersion: Int?
        public var latestVersion: Int?
        public var totalDeployments: Int
        public var lastDeployedAt: String?
    }

    /// 400 `Workflow compilation failed` with `{valid, errors, warnings}`.
    public static func compilationFailed(_ report: BlueprintReport) -> APIError {
        APIError(status: 400, body: ["error": "Workflow compilation failed", "validation": report.validationJSON])
    }

    /// WF1: versions newest first and their stats.
    public func list(botId: String, identity: Identity) async throws -> ([WorkflowVersionRecord], Stats) {
        let org = try identity.organizationId()
        return try await context.database.read { db in
            guard try BotRepository.find(db, id: botId, organizationId: org) != nil else { throw Self.botNotFound }
            let versions = try WorkflowVersionRepository.list(db, botId: botId)
            let deployed = versions.compactMap(\.deployedAt)
            return (versions, Stats(totalVersions: versions.count, activeVersion: versions.first { $0.status == "active" }?.version,
                                    latestVersion: versions.first?.version, totalDeployments: deployed.count, lastDeployedAt: deployed.max()))
        }
    }

    /// WF3.
    public func get(botId: String, version: String, identity: Identity) async throws -> WorkflowVersionRecord {
        let org = try identity.organizationId()
        return try await context.database.read { db in try Self.find(db, botId: botId, version: version, org: org) }
    }

    /// WF7: validation only.
    public func validate(botId: String, body: JSON, identity: Identity) async throws -> BlueprintReport {
        let org = try identity.organizationId()
        let blueprint = try Self.readBlueprint(body)
        guard try await context.database.read({ db in try BotRepository.find(db, id: botId, organizationId: org) }) != nil else {
            throw Self.botNotFound
        }
        return BlueprintValidator.validate(Self.forcing(blueprint, botId: botId))
    }

    /// WF2: a new version (max + 1) as a draft, or activated with `auto_deploy`.
    public func create(botId: String, body: JSON, identity: Identity) async throws -> (WorkflowVersionRecord, BlueprintReport) {
        let org = try identity.organizationId()
        var v = Validator(body)
        let blueprintObject = v.object("blueprint", required: true)
        let autoDeploy = v.bool("auto_deploy") ?? false
        let name = v.string("name", min: 1, max: 100)
        try v.finish()
        let blueprint = Self.forcing(.object(blueprintObject ?? [:]), botId: botId)
        let size = BlueprintValidator.sizeIssues(blueprint)
        if !size.isEmpty { throw APIError.validation(size) }
        guard try await context.database.read({ db in try BotRepository.find(db, id: botId, organizationId: org) }) != nil else {
            throw Self.botNotFound
        }
        let report = BlueprintValidator.validate(blueprint)
        guard report.valid else { throw Self.compilationFailed(report) }
        let now = context.clock.now()
        let record = try await context.database.write { db -> WorkflowVersionRecord in
            guard try BotRepository.find(db, id: botId, organizationId: org) != nil else { throw Self.botNotFound }
            let next = (try Int.fetchOne(db, sql: "SELECT MAX(version) FROM bot_workflows WHERE bot_id = ?", arguments: [botId]) ?? 0) + 1
            let defaultName = blueprint["name"].stringValue.flatMap { (1...100).contains($0.count) ? $0 : nil } ?? "Workflow v\(next)"
            var record = WorkflowVersionRecord(id: Identifiers.uuid(), botId: botId, version: next, name: name ?? defaultName, status: "draft",
                                               blueprint: blueprint, templateId: nil, errorMessage: nil, createdBy: identity.userId,
                                               deployedAt: nil, createdAt: now, updatedAt: now)
            if autoDeploy {
                try Self.archiveActive(db, botId: botId, now: now)
                record.status = "active"
                record.deployedAt = now
            }
            try WorkflowVersionRepository.insert(db, record)
            return record
        }
        return (record, report)
    }

    /// WF4/WF5: re-validates; valid → active (the previous active version archived); invalid → `failed` + 400.
    public func activate(botId: String, version: String, identity: Identity) async throws -> WorkflowVersionRecord {
        let org = try identity.organizationId()
        let now = context.clock.now()
        let (record, report) = try await context.database.write { db -> (WorkflowVersionRecord, BlueprintReport) in
            var record = try Self.find(db, botId: botId, version: version, org: org)
            let report = BlueprintValidator.validate(record.blueprint)
            if report.valid {
                if record.status != "active" { try Self.archiveActive(db, botId: botId, now: now) }
                record.status = "active"
                record.errorMessage = nil
                record.deployedAt = now
            } else {
                // An active version that no longer compiles stops running too (at most one active, never a broken one).
                record.status = "failed"
                record.errorMessage = report.summary
            }
            record.updatedAt = now
            try Self.update(db, record)
            return (record, report)
        }
        guard report.valid else { throw Self.compilationFailed(report) }
        return record
    }

    /// WF6: archived (the row is kept); the active version cannot be archived.
    public func archive(botId: String, version: String, identity: Identity) async throws {
        let org = try identity.organizationId()
        let now = context.clock.now()
        try await context.database.write { db in
            var record = try Self.find(db, botId: botId, version: version, org: org)
            guard record.status != "active" else { throw APIError.plain(400, "Cannot archive the active version") }
            record.status = "archived"
            record.updatedAt = now
            try Self.update(db, record)
        }
    }

    // MARK: Helpers

    static func readBlueprint(_ body: JSON) throws -> JSON {
        var v = Validator(body)
        let blueprint = v.object("blueprint", required: true)
        try v.finish()
        let value = JSON.object(blueprint ?? [:])
        let size = BlueprintValidator.sizeIssues(value)
        if !size.isEmpty { throw APIError.validation(size) }
        return value
    }

    /// `bot_id` is forced to the bot of the URL.
    static func forcing(_ blueprint: JSON, botId: String) -> JSON {
        guard case .object(var o) = blueprint else { return blueprint }
        if o["bot_id"] != nil { o["bot_id"] = .string(botId) } else { _ = o.updateValue(.string(botId), forKey: "bot_id", insertingAt: 0) }
        return .object(o)
    }

    static func find(_ db: Database, botId: String, version: String, org: String) throws -> WorkflowVersionRecord {
        guard try BotRepository.find(db, id: botId, organizationId: org) != nil else { throw botNotFound }
        guard let number = Int(version), number >= 1,
            let row = try Row.fetchOne(db, sql: "SELECT * FROM bot_workflows WHERE bot_id = ? AND version = ?", arguments: [botId, number])
        else { throw versionNotFound }
        return WorkflowVersionRecord(row: row)
    }

    static func archiveActive(_ db: Database, botId: String, now: String) throws {
        try db.execute(sql: "UPDATE bot_workflows SET status = 'archived', updated_at = ? WHERE bot_id = ? AND status = 'active'",
                       arguments: [now, botId])
    }

    static func update(_ db: Database, _ r: WorkflowVersionRecord) throws {
        try db.execute(sql: """
            UPDATE bot_workflows SET status = ?, error_message = ?, deployed_at = ?, updated_at = ? WHERE id = ?
            """, arguments: [r.status, r.errorMessage, r.deployedAt, r.updatedAt, r.id])
    }
}
