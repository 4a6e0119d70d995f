import BotFlowBackup
import BotFlowCore
import Hummingbird

/// AD1–AD6 (api.md §4.15): backups for appliance admins. Procedures are in `BackupService` (behaviour §13).
struct BackupController {
    let backups: BackupService
    let restoreHooks: RestoreHooks
    let body: JSONBodyReader

    static let busy = APIError.conflict("A backup or restore is already running")
    static let notFound = APIError.notFound("Backup not found")

    func addRoutes(to admin: RouterGroup<AppRequestContext>) {
        admin.get("/api/admin/backups") { _, context in
            try context.requireIdentity().requireAdmin()
            return Response.json(["backups": .array(backups.list().map(\.json))])
        }
        admin.post("/api/admin/backups") { _, context in
            try context.requireIdentity().requireAdmin()
            do {
                return Response.json(["backup": try await backups.create(kind: .manual).json])
            } catch {
                throw Self.map(error, restore: false)
            }
        }
        admin.post("/api/admin/backups/prune") { _, context in
            try context.requireIdentity().requireAdmin()
            return Response.json(backups.prune().json)
        }
        admin.get("/api/admin/backups/:name") { _, context in
            try context.requireIdentity().requireAdmin()
            guard let record = backups.find(name: try context.parameters.require("name")) else { throw Self.notFound }
            return Response.json(["backup": record.json])
        }
        admin.post("/api/admin/backups/:name/verify") { _, context in
            try context.requireIdentity().requireAdmin()
            guard let record = backups.find(name: try context.parameters.require("name")) else { throw Self.notFound }
            return Response.json(["verification": try await backups.verify(record.name.file).json])
        }
        admin.post("/api/admin/backups/:name/restore") { request, context in
            try context.requireIdentity().requireAdmin()
            var v = Validator(try await body.read(request))
            if v.bool("confirm", required: true) == false { v.fail("confirm", "confirm must be true to restore", .invalid_value) }
            try v.finish()
            guard let record = backups.find(name: try context.parameters.require("name")) else { throw Self.notFound }
            do {
                return Response.json(["restore": try await backups.restore(record.name.file, hooks: restoreHooks).json])
            } catch {
                throw Self.map(error, restore: true)
            }
        }
    }

    /// 409 busy, 404 unknown; a failed restore is 422 with its step and reason; a failed create stays a 500 (logged).
    static func map(_ error: any Error, restore: Bool) -> any Error {
        guard let error = error as? BackupOperationError else { return error }
        switch error {
        case .busy: return busy
        case .notFound: return notFound
        case .failed(let message): return restore ? APIError.withMessage(422, "Restore failed", message) : error
        }
    }
}
