import BotFlowCore
import BotFlowSchema
import Foundation
import GRDB
import Logging

/// The one owner of the SQLite database: opens the pool with the pragmas of data-model §1, applies the embedded
/// migrations, and hands out read and write access. Every write runs in one transaction.
public final class AppDatabase: Sendable {
    /// The open pool and its group-commit queue. A restore (behaviour §13.7) closes them, swaps the file and
    /// reopens, so they are replaced as a pair behind a lock; everything else keeps its `AppDatabase` reference.
    private struct Connection: Sendable {
        let pool: DatabasePool
        let groupCommit: GroupCommit
        let checkpointer: WALCheckpointer
    }
    private let connection: LockedValue<Connection>
    public let path: String
    /// Every statement of every connection is timed into this (behaviour §11.4).
    public let queryStats: QueryStats
    /// Moves on with every commit that changes who a user is or where they belong (the identity cache's stamp).
    public let identityTables = TableVersion(tables: ["users", "organization_members", "organizations"])
    /// A bot's configuration, active workflow and globals: what the reply pipeline reads for every message.
    public let botTables = TableVersion(tables: ["bots", "bot_workflows", "workflow_globals"])
    /// The group-commit tail (the job runner's claims); carried over to the new queue when a restore reopens.
    private let tail = LockedValue<TransactionTail?>(nil)

    public var pool: DatabasePool { connection.withLock { $0.pool } }
    private var groupCommit: GroupCommit { connection.withLock { $0.groupCommit } }

    /// Opens (creating if needed) the database at `path` and migrates it to the latest schema.
    public init(path: String, logger: Logger = Logger(label: "botflow.db"), slowQueryMilliseconds: Int = 100) throws {
        self.path = path
        let queryStats = QueryStats(slowThresholdMs: slowQueryMilliseconds, logger: logger)
        self.queryStats = queryStats
        let pool = try Self.openPool(path: path, queryStats: queryStats)
        pool.add(transactionObserver: identityTables, extent: .databaseLifetime)
        pool.add(transactionObserver: botTables, extent: .databaseLifetime)
        let checkpointer = WALCheckpointer(path: path, logger: logger)
        connection = LockedValue(Connection(pool: pool, groupCommit: GroupCommit(pool: pool, afterCommit: checkpointer.nudge),
                                            checkpointer: checkpointer))
        try migrate(logger: logger)
    }

    private static func openPool(path: String, queryStats: QueryStats) throws -> DatabasePool {
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.foreignKeysEnabled = true
        config.maximumReaderCount = 5
        config.prepareDatabase { db in
            // Per-connection settings of data-model §1 (journal_mode is set by DatabasePool itself).
            try db.execute(sql: "PRAGMA busy_timeout = 5000")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
            queryStats.install(on: db)
        }
        let pool = try DatabasePool(path: path, configuration: config)
        // DatabasePool switches the writer to WAL *after* prepareDatabase and sets synchronous=NORMAL there;
        // a committed webhook message must survive power loss, so the writer goes back to FULL.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Group commit gives every caller (and every job of a batch) its own savepoint, and SQLite keeps the
            // pages a savepoint may have to roll back in a sub-journal — a temp file once it passes 64 KiB. On the
            // file that was ~15 pwrites of 4 KiB per inbound message, more than the WAL itself; in memory it is a
            // copy that is dropped when the savepoint is released. (Only the writer: readers never journal.)
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // The writer touches the hot B-tree pages of messages, jobs and their indexes on every commit; with
            // SQLite's default 2 MB cache they were re-read from the WAL with read(2) again and again. 64 MB keeps them
            // (a ceiling, not an allocation; readers keep the default and use mmap for the main file).
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // A backstop only: once the WAL has reached 4 MB a background connection checkpoints after every group
            // commit (`WALCheckpointer`).
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(WALCheckpointer.walAutoCheckpointPages)")
        }
        return pool
    }

    /// Opens the file at `path` again after `close()` (a restore swapped it) and runs pending migrations.
    public func reopen(logger: Logger) throws {
        let pool = try Self.openPool(path: path, queryStats: queryStats)
        pool.add(transactionObserver: identityTables, extent: .databaseLifetime)
        pool.add(transactionObserver: botTables, extent: .databaseLifetime)
        identityTables.bump()
        botTables.bump()
        let checkpointer = WALCheckpointer(path: path, logger: logger)
        let groupCommit = GroupCommit(pool: pool, afterCommit: checkpointer.nudge)
        groupCommit.setTail(tail.withLock { $0 })
        connection.withLock { $0 = Connection(pool: pool, groupCommit: groupCommit, checkpointer: checkpointer) }
        try migrate(logger: logger)
    }

    /// Applies every migration not applied yet, each in its own transaction, and records `schema_version`.
    public func migrate(logger: Logger) throws {
        var migrator = DatabaseMigrator()
        for migration in Schema.migrations {
            migrator.registerMigration(migration.name) { db in
                try db.execute(sql: migration.sql)
                try AppMeta.set(db, "schema_version", String(migration.number))
            }
        }
        let appliedBefore = try pool.read { db in try migrator.appliedIdentifiers(db) }
        try migrator.migrate(pool)
        try pool.write { db in
            let now = Timestamp.format(epochMilliseconds: SystemClock().nowMilliseconds())
            try AppMeta.setIfMissing(db, "instance_id", Identifiers.uuid())
            try AppMeta.setIfMissing(db, "created_at", now)
            try AppMeta.set(db, "schema_version", String(Schema.latestVersion))
        }
        if appliedBefore.count < Schema.migrations.count {
            logger.info("database migrated", metadata: ["schema_version": "\(Schema.latestVersion)", "path": "\(path)"])
        }
    }

    public func schemaVersion() throws -> Int {
        try pool.read { db in Int(try AppMeta.get(db, "schema_version") ?? "0") ?? 0 }
    }

    /// One write transaction (possibly shared with concurrent writers through group commit, each in its own
    /// savepoint). Throwing rolls back everything `updates` did, so a failed request leaves no row behind; the call
    /// returns after the commit.
    public func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await groupCommit.write(updates)
    }

    /// Installs (or removes) the work appended to every group-commit transaction (see `TransactionTail`).
    public func setTransactionTail(_ tail: TransactionTail?) {
        self.tail.withLock { $0 = tail }
        groupCommit.setTail(tail)
    }

    public func read<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(value)
    }

    /// Checkpoints the WAL into the main file and truncates it (at shutdown, and before a restore swaps the file). The
    /// background checkpointer is closed first and stays closed (a restore reopens a new one): SQLite refuses a second
    /// checkpoint while one runs, with SQLITE_BUSY and without waiting.
    public func checkpoint() throws {
        let (pool, checkpointer) = connection.withLock { ($0.pool, $0.checkpointer) }
        checkpointer.close()
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }

    /// Closes every connection.
    public func close() throws {
        connection.withLock { $0.checkpointer }.close()
        try pool.close()
    }
}
