import GRDB

/// The `app_meta` key/value table (data-model §2.1).
public enum AppMeta {
    public static func get(_ db: Database, _ key: String) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM app_meta WHERE key = ?"), arguments: [key])
    }

    public static func set(_ db: Database, _ key: String, _ value: String) throws {
        try db.cachedStatement(sql: "INSERT INTO app_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .execute(arguments: [key, value])
    }

    public static func setIfMissing(_ db: Database, _ key: String, _ value: String) throws {
        try db.cachedStatement(sql: "INSERT INTO app_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING")
            .execute(arguments: [key, value])
    }
}
