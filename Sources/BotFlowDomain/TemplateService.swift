import BotFlowCore
import BotFlowStorage
import GRDB

/// Templates T1–T6. Reads are public; writes are for appliance admins.
public struct TemplateService: Sendable {
    let ctx: DomainContext
    public init(_ ctx: DomainContext) { self.ctx = ctx }

    static let notFound = APIError.notFound("Template not found")
    static let duplicate = APIError.conflict("Template already exists")

    public func listPublished() async throws -> [TemplateRecord] {
        try await ctx.database.read { db in try TemplateRepository.listPublished(db) }
    }

    public func listPublished(vertical: String) async throws -> [TemplateRecord] {
        try await ctx.database.read { db in try TemplateRepository.listPublished(db, vertical: vertical) }
    }

    /// T2: unpublished templates only for admins; malformed ids are simply not found.
    public func get(_ id: String, includeUnpublished: Bool) async throws -> TemplateRecord {
        guard Identifiers.isUUID(id) else { throw Self.notFound }
        let key = id.lowercased()
        guard let t = try await ctx.database.read({ db in try TemplateRepository.find(db, id: key) }),
            t.isPublished || includeUnpublished
        else { throw Self.notFound }
        return t
    }

    public func create(_ body: JSON, identity: Identity) async throws -> TemplateRecord {
        try identity.requireAdmin()
        let fields = try Self.parse(body, partial: false)
        let now = ctx.clock.now()
        let template = TemplateRecord(
            id: Identifiers.uuid(), name: fields.name!, vertical: fields.vertical!, tier: fields.tier!,
            description: fields.description!, tagline: fields.tagline, icon: fields.icon, requiredFields: fields.requiredFields!,
            conversationFlow: fields.conversationFlow!, examplePrompts: fields.examplePrompts ?? [],
            integrations: fields.integrations ?? [], isPublished: fields.isPublished ?? false, version: 1,
            createdBy: identity.userId, createdAt: now, updatedAt: now)
        return try await mapDuplicate {
            try await ctx.database.write { db in
                if try TemplateRepository.exists(db, vertical: template.vertical, name: template.name) { throw Self.duplicate }
                try TemplateRepository.insert(db, template)
                return template
            }
        }
    }

    /// T5: `version` increases when `required_fields` or `conversation_flow` changes.
    public func update(_ id: String, body: JSON, identity: Identity) async throws -> TemplateRecord {
        try identity.requireAdmin()
        guard Identifiers.isUUID(id) else { throw Self.notFound }
        let key = id.lowercased()
        let fields = try Self.parse(body, partial: true)
        let now = ctx.clock.now()
        return try await mapDuplicate {
            try await ctx.database.write { db in
                guard var t = try TemplateRepository.find(db, id: key) else { throw Self.notFound }
                var contentChanged = false
                if let v = fields.name { t.name = v }
                if let v = fields.vertical { t.vertical = v }
                if let v = fields.tier { t.tier = v }
                if let v = fields.description { t.description = v }
                if let v = fields.tagline { t.tagline = v }
                if let v = fields.icon { t.icon = v }
                if let v = fields.requiredFields, v != t.requiredFields { t.requiredFields = v; contentChanged = true }
                if let v = fields.conversationFlow, v != t.conversationFlow { t.conversationFlow = v; contentChanged = true }
                if let v = fields.examplePrompts { t.examplePrompts = v }
                if let v = fields.integrations { t.integrations = v }
                if let v = fields.isPublished { t.isPublished = v }
                if contentChanged { t.version += 1 }
                t.updatedAt = now
                if try TemplateRepository.exists(db, vertical: t.vertical, name: t.name, excluding: t.id) { throw Self.duplicate }
                try TemplateRepository.update(db, t)
                return t
            }
        }
    }

    public func delete(_ id: String, identity: Identity) async throws {
        try identity.requireAdmin()
        guard Identifiers.isUUID(id) else { throw Self.notFound }
        let key = id.lowercased()
        let deleted = try await ctx.database.write { db in try TemplateRepository.delete(db, id: key) }
        if !deleted { throw Self.notFound }
    }

    private func mapDuplicate<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw Self.duplicate
        }
    }

    struct Fields {
        var name: String?, vertical: String?, tier: Int?, description: String?, tagline: String?, icon: String?
        var requiredFields: JSON?, conversationFlow: JSON?, examplePrompts: JSON?, integrations: JSON?, isPublished: Bool?
    }

    /// The T4 field table; with `partial` every field is optional (T5).
    static func parse(_ body: JSON, partial: Bool) throws(APIError) -> Fields {
        let req = !partial
        var v = Validator(body)
        var f = Fields()
        f.name = v.string("name", required: req, min: 1, max: 100)
        f.vertical = v.string("vertical", required: req, min: 1, max: 50, matches: Formats.isVertical, patternDescription: "Invalid vertical (expected ^[a-z0-9_]+$)")
        f.tier = v.number("tier", required: req, integer: true, allowed: [1, 2, 3]).map { Int($0) }
        f.description = v.string("description", required: req, max: 2000)
        f.tagline = v.string("tagline", max: 200)
        f.icon = v.string("icon", max: 16)
        if let fields = v.object("required_fields", required: req) {
            let before = v.issues.count
            TemplateDefinition.checkRequiredFields(&v, fields)
            if v.issues.count == before { f.requiredFields = .object(fields) }
        }
        f.conversationFlow = v.nested("conversation_flow", required: req) { (c: inout Validator) -> JSON in
            TemplateDefinition.checkConversationFlow(&c)
            return .object(c.object)
        }
        f.examplePrompts = v.stringArray("example_prompts").map(JSON.strings)
        f.integrations = v.stringArray("integrations").map(JSON.strings)
        f.isPublished = v.bool("is_published")
        try v.finish()
        return f
    }
}
