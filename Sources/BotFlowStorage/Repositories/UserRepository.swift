import BotFlowCore
import GRDB

/// `users` (data-model §2.2).
public enum UserRepository {
    public static func find(_ db: Database, id: String) throws -> UserRecord? {
        try db.cachedStatement(sql: "SELECT * FROM users WHERE id = ?").decodeOne(arguments: [id], UserRecord.init)
    }

    public static func find(_ db: Database, email: String) throws -> UserRecord? {
        try db.cachedStatement(sql: "SELECT * FROM users WHERE email = ?").decodeOne(arguments: [email], UserRecord.init)
    }

    public static func count(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM users") ?? 0
    }

    public static func insert(_ db: Database, id: String, email: String, passwordHash: String, fullName: String, isAdmin: Bool, now: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO users (id, email, password_hash, full_name, is_admin, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [id, email, passwordHash, fullName, isAdmin, now, now])
    }

    /// Records a login; grants admin when the email is listed in `ADMIN_EMAILS`.
    public static func recordLogin(_ db: Database, id: String, grantAdmin: Bool, now: String) throws {
        try db.cachedStatement(sql: """
            UPDATE users SET last_login_at = ?, is_admin = CASE WHEN ? THEN 1 ELSE is_admin END, updated_at = ? WHERE id = ?
            """).execute(arguments: [now, grantAdmin, now, id])
    }
}
