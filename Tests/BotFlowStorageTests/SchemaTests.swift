import BotFlowCore
import BotFlowDomain
import BotFlowStorage
import BotFlowTestSupport
import Foundation
import GRDB
import Testing

/// data-model.md §1, §2, §4, §5 against the database the real migrations build.
@Suite struct SchemaTests {
    @Test func everyNamedIndexExistsWithItsTableColumnsAndWhere() async throws {
        let app = try await TestAppliance.make()
        #expect(expectedIndexes.count == 84)
        #expect(Set(expectedIndexes.map(\.number)) == Set(1...84))
        try await app.database.read { db in
            let actualCount = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'")
            // The 84 of data-model §4 plus the three analytics indexes of schema/002_analytics.sql.
            #expect(actualCount == 84 + 3)
            for expected in expectedIndexes {
                let row = try Row.fetchOne(db, sql: "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index' AND name = ?",
                                           arguments: [expected.name])
                guard let row else {
                    Issue.record("I-\(expected.number) \(expected.name) is missing")
                    continue
                }
                let sql: String = row["sql"]
                #expect(row["tbl_name"] as String == expected.table, "I-\(expected.number) table")
                #expect(sql.hasPrefix("CREATE UNIQUE INDEX") == expected.unique, "I-\(expected.number) uniqueness")
                #expect(try Self.columns(db, index: expected.name, sql: sql) == expected.columns, "I-\(expected.number) columns")
                #expect(Self.partialWhere(sql) == expected.partialWhere, "I-\(expected.number) WHERE")
            }
        }
    }

    @Test func everyCoreTableFtsTableAndTriggerExists() async throws {
        let app = try await TestAppliance.make()
        try await app.database.read { db in
            let tables = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
            for table in expectedTables + expectedFTSTables { #expect(tables.contains(table), "table \(table)") }
            #expect(expectedTables.count == 31)
            let triggers = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            #expect(triggers == Set(expectedFTSTriggers))
            for fts in expectedFTSTables {
                let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = ?", arguments: [fts]) ?? ""
                #expect(sql.contains("USING fts5"), "\(fts) is FTS5")
            }
            // No inline UNIQUE constraints: every unique index is one of the named ones.
            let autoUnique = try String.fetchAll(db, sql: """
                SELECT il.name FROM sqlite_master m, pragma_index_list(m.name) il
                WHERE m.type = 'table' AND il.origin = 'u'
                """)
            #expect(autoUnique.isEmpty)
        }
    }

    @Test func connectionPragmasFollowDataModel() async throws {
        let app = try await TestAppliance.make()
        let writer = try await app.database.write { db in
            [try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous").map(String.init),
             try Int.fetchOne(db, sql: "PRAGMA foreign_keys").map(String.init), try Int.fetchOne(db, sql: "PRAGMA busy_timeout").map(String.init)]
        }
        #expect(writer == ["wal", "2", "1", "5000"])  // synchronous 2 = FULL
        let reader = try await app.database.read { db in
            [try Int.fetchOne(db, sql: "PRAGMA foreign_keys"), try Int.fetchOne(db, sql: "PRAGMA busy_timeout")]
        }
        #expect(reader == [1, 5000])
    }

    @Test func secondStartChangesNothing() async throws {
        let app = try await TestAppliance.make()
        let path = app.settings.databasePath
        func snapshot(_ database: AppDatabase) throws -> [String] {
            try database.pool.read { db in
                try String.fetchAll(db, sql: "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY name")
                    + String.fetchAll(db, sql: "SELECT key || '=' || value FROM app_meta ORDER BY key")
                    + String.fetchAll(db, sql: "SELECT id || vertical || name || version FROM bot_templates ORDER BY id")
                    + String.fetchAll(db, sql: "SELECT id || slug FROM integration_marketplace ORDER BY id")
            }
        }
        let before = try snapshot(app.database)
        #expect(try app.database.schemaVersion() == 2)
        // A second process start on the same data directory: migrations and seeding run again.
        let reopened = try AppDatabase(path: path)
        _ = try await Seeder.run(reopened, clock: SystemClock())
        #expect(try snapshot(reopened) == before)
        try reopened.close()
    }

    @Test func ftsFollowsMarketplaceRows() async throws {
        let app = try await TestAppliance.make()
        try await app.database.write { db in
            let hits = try String.fetchAll(db, sql: """
                SELECT m.slug FROM marketplace_fts f JOIN integration_marketplace m ON m.row_no = f.rowid
                WHERE marketplace_fts MATCH 'shopify' ORDER BY m.slug
                """)
            #expect(hits == ["shopify"])
            try db.execute(sql: "UPDATE integration_marketplace SET name = 'Storefront' WHERE slug = 'shopify'")
            let after = try Int.fetchOne(db, sql: "SELECT count(*) FROM marketplace_fts WHERE marketplace_fts MATCH 'storefront'")
            #expect(after == 1)
            try db.execute(sql: "INSERT INTO marketplace_fts(marketplace_fts) VALUES('integrity-check')")
        }
    }

    /// Key columns of an index as SQLite reports them (`name` or `name DESC`; expressions from the SQL text).
    static func columns(_ db: Database, index: String, sql: String) throws -> [String] {
        let written = columnList(sql)
        return try Row.fetchAll(db, sql: "SELECT seqno, cid, name, desc FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno",
                                arguments: [index])
            .map { row in
                if (row["cid"] as Int) == -2 { return written[row["seqno"] as Int] }  // an expression column
                let name: String = row["name"]
                return (row["desc"] as Int) == 1 ? "\(name) DESC" : name
            }
    }

    /// The column list of a CREATE INDEX statement, split at top-level commas.
    static func columnList(_ sql: String) -> [String] {
        var items: [String] = [], current = "", depth = 0, started = false
        for c in sql {
            if !started { if c == "(" { started = true }; continue }
            if c == "(" { depth += 1 }
            if c == ")" { if depth == 0 { break }; depth -= 1 }
            if c == ",", depth == 0 { items.append(current.trimmingCharacters(in: .whitespaces)); current = ""; continue }
            current.append(c)
        }
        items.append(current.trimmingCharacters(in: .whitespaces))
        return items
    }

    static func partialWhere(_ sql: String) -> String? {
        guard let range = sql.range(of: " WHERE ") else { return nil }
        return String(sql[range.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
