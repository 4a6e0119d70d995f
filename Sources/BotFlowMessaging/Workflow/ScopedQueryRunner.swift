import BotFlowCore
import BotFlowWorkflow
import Dispatch
import Foundation
import GRDBSQLite

/// The `database_query` node (behaviour §8.3 #8): one read-only `SELECT` over the organization's rows of
/// `conversations`, `messages`, `bots` and `knowledge_base_articles`, at most 1000 rows, 5 s.
///
/// Scoping is enforced by SQLite itself, not by parsing SQL. Each query gets its own read-only connection with two
/// layers of TEMP views per table: a private one under a random per-connection name that selects the organization's
/// rows from `main.<table>`, and a public one with the table's own name over it (unqualified names resolve to the
/// temp schema first). An authorizer then allows only `SELECT`, reads of the public views, and reads of `main.<table>`
/// done *by the private view of that table* — SQLite names the innermost view responsible for a read, and a query
/// cannot name a CTE after a private view it cannot see (`sqlite_temp_master` is not readable). `main.users`,
/// `main.bots`, a CTE called `bots` over `main.bots`, `sqlite_master`, pragmas, `ATTACH`, DDL/DML or a second statement
/// are refused at prepare time.
struct ScopedQueryRunner: Sendable {
    static let views = ["conversations", "messages", "bots", "knowledge_base_articles"]
    static let maxRows = 1000
    let path: String
    var timeoutSeconds = 5.0

    func run(_ sql: String, parameters: [JSON], organizationId: String) async throws -> [JSON] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runBlocking(sql, parameters: parameters, organizationId: organizationId) })
            }
        }
    }

    func runBlocking(_ sql: String, parameters: [JSON], organizationId: String) throws -> [JSON] {
        guard !organizationId.isEmpty, organizationId.allSatisfy({ $0.isASCII && ($0.isHexDigit || $0 == "-") }) else {
            throw NodeFailure("Invalid organization")
        }
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let db = handle else {
            sqlite3_close(handle)
            throw NodeFailure("Database unavailable")
        }
        // The watchdog may interrupt the connection from another thread until `close` marks it finished.
        let watchdog = Watchdog(db)
        defer {
            watchdog.finish()
            sqlite3_close_v2(db)
        }
        sqlite3_busy_timeout(db, 5000)
        Self.applyResourceLimits(db)
        guard sqlite3_exec(db, "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -\(Self.cacheKiB);", nil, nil, nil) == SQLITE_OK else {
            throw NodeFailure("Database unavailable")
        }
        let policy = Unmanaged.passRetained(Policy(prefix: "scoped_\(Identifiers.uuid().replacingOccurrences(of: "-", with: ""))_"))
        defer { policy.release() }
        for view in Self.views {
            let scoped = policy.takeUnretainedValue().prefix + view
            let create = """
                CREATE TEMP VIEW \(scoped) AS SELECT * FROM main.\(view) WHERE organization_id = '\(organizationId)';
                CREATE TEMP VIEW \(view) AS SELECT * FROM \(scoped);
                """
            guard sqlite3_exec(db, create, nil, nil, nil) == SQLITE_OK else { throw NodeFailure("Database unavailable") }
        }
        sqlite3_set_authorizer(db, { context, action, first, second, database, accessor in
            guard let context else { return SQLITE_DENY }
            return Unmanaged<Policy>.fromOpaque(context).takeUnretainedValue().authorize(
                action: action, first: first.map { String(cString: $0) }, second: second.map { String(cString: $0) },
                database: database.map { String(cString: $0) }, accessor: accessor.map { String(cString: $0) })
        }, policy.toOpaque())

        let trimmed = sql.trimmingWhitespace()
        guard trimmed.count <= 10_000 else { throw NodeFailure("Query is too long") }
        var statement: OpaquePointer?
        var rest = ""
        let prepared = trimmed.withCString { text -> Int32 in
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v2(db, text, -1, &statement, &tail)
            rest = tail.map { String(cString: $0) } ?? ""
            return code
        }
        guard prepared == SQLITE_OK, let statement else {
            let message = String(cString: sqlite3_errmsg(db))
            sqlite3_finalize(statement)
            if let function = policy.takeUnretainedValue().refusedFunction { throw NodeFailure("Function \(function) is not allowed in a query") }
            throw NodeFailure(message.contains("not authorized") || message.contains("prohibited") ? "Only a SELECT over conversations, messages, bots and knowledge_base_articles is allowed"
                                                                  : "Invalid query: \(message)")
        }
        defer { sqlite3_finalize(statement) }
        guard rest.allSatisfy({ $0 == ";" || $0.isWhitespace }) else { throw NodeFailure("Only one statement is allowed") }
        guard sqlite3_stmt_readonly(statement) != 0, trimmed.prefix(6).lowercased() == "select" || trimmed.prefix(4).lowercased() == "with" else {
            throw NodeFailure("Only a SELECT statement is allowed")
        }
        let needed = Int(sqlite3_bind_parameter_count(statement))
        guard parameters.count >= needed else { throw NodeFailure("The query needs \(needed) parameters") }
        for (index, value) in parameters.prefix(needed).enumerated() {
            Self.bind(value, to: statement, at: Int32(index + 1))
        }

        // The 5 s limit: SQLite's progress handler interrupts between VM steps; the watchdog calls sqlite3_interrupt
        // from another thread for the case of one long step (a single expensive function call).
        let deadline = Unmanaged.passRetained(Deadline(monotonicSeconds() + timeoutSeconds))
        defer { deadline.release() }
        sqlite3_progress_handler(db, 1000, { context in
            guard let context else { return 0 }
            return Unmanaged<Deadline>.fromOpaque(context).takeUnretainedValue().passed ? 1 : 0
        }, deadline.toOpaque())
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds) { watchdog.interrupt() }

        var rows: [JSON] = []
        var resultBytes = 0
        let columns = sqlite3_column_count(statement)
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else {
                if step == SQLITE_INTERRUPT { throw NodeFailure("Query exceeded \(JSONWriter.formatNumber(timeoutSeconds)) seconds") }
                if step == SQLITE_TOOBIG { throw NodeFailure("Query built a value larger than \(Self.maxValueBytes) bytes") }
                throw NodeFailure("Query failed: \(String(cString: sqlite3_errmsg(db)))")
            }
            guard rows.count < Self.maxRows else { throw NodeFailure("Query returned more than \(Self.maxRows) rows") }
            var row = JSONObject(minimumCapacity: Int(columns))
            for column in 0..<columns {
                let name = String(cString: sqlite3_column_name(statement, column))
                // Sized before converting, so an oversized result fails without building it.
                resultBytes += name.utf8.count + 8 + Int(sqlite3_column_bytes(statement, column))
                guard resultBytes <= Self.maxResultBytes else { throw NodeFailure("Query result exceeds \(Self.maxResultBytes) bytes") }
                row[name] = Self.value(statement, column)
            }
            rows.append(.object(row))
        }
        return rows
    }

    /// Caps on what one query may make SQLite build (strings/blobs, SQL text, compound selects, expression depth,
    /// LIKE patterns): a huge `printf`/`randomblob`/`zeroblob` fails with "too big" instead of exhausting memory.
    static let maxValueBytes: Int32 = 1_000_000
    /// `printf('%.*c', 300000000, 'a')` loops once per requested character even after the length limit has failed
    /// the value — seconds inside one function call that neither the progress handler nor an interrupt can stop.
    static let unboundedFunctions: Set<String> = ["printf", "format"]
    static let maxResultBytes = 1_048_576
    static let cacheKiB = 2048

    static func applyResourceLimits(_ db: OpaquePointer) {
        sqlite3_limit(db, SQLITE_LIMIT_LENGTH, maxValueBytes)
        sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 100_000)
        sqlite3_limit(db, SQLITE_LIMIT_COMPOUND_SELECT, 50)
        sqlite3_limit(db, SQLITE_LIMIT_EXPR_DEPTH, 100)
        // A LIKE/GLOB `[...]` set is rescanned at every position of the subject: pattern length × 1 MB per call.
        sqlite3_limit(db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 100)
    }

    /// Interrupts the connection once its deadline passes, unless it has been finished (closed) before: the lock keeps
    /// `sqlite3_interrupt` from ever touching a closed connection.
    final class Watchdog: @unchecked Sendable {
        private let lock = NSLock()
        private let db: OpaquePointer
        private var finished = false
        init(_ db: OpaquePointer) { self.db = db }

        func interrupt() {
            lock.lock(); defer { lock.unlock() }
            if !finished { sqlite3_interrupt(db) }
        }

        func finish() {
            lock.lock(); defer { lock.unlock() }
            finished = true
        }
    }

    final class Deadline: @unchecked Sendable {
        let at: Double
        init(_ at: Double) { self.at = at }
        var passed: Bool { monotonicSeconds() > at }
    }

    /// The allow-list authorizer of one connection (see the type comment).
    final class Policy: @unchecked Sendable {
        /// Random per connection: the private views' names.
        let prefix: String
        /// A resource-hungry function the query used (for a clear error).
        var refusedFunction: String?
        init(prefix: String) { self.prefix = prefix }

        /// SQLITE_READ: `first` = table, `database` = schema (nil for CTEs and subqueries), `accessor` = innermost view;
        /// SQLITE_FUNCTION: `second` = function name.
        func authorize(action: Int32, first: String?, second: String?, database: String?, accessor: String?) -> Int32 {
            switch action {
            case SQLITE_SELECT, SQLITE_RECURSIVE:
                return SQLITE_OK
            case SQLITE_READ:
                guard let database, let table = first else { return SQLITE_OK }
                if database == "main", ScopedQueryRunner.views.contains(table), accessor == prefix + table { return SQLITE_OK }
                if database == "temp", ScopedQueryRunner.views.contains(table) || ScopedQueryRunner.views.contains(where: { prefix + $0 == table }) {
                    return SQLITE_OK
                }
                return SQLITE_DENY
            case SQLITE_FUNCTION:
                let name = second?.lowercased() ?? ""
                if ScopedQueryRunner.unboundedFunctions.contains(name) {
                    refusedFunction = name
                    return SQLITE_DENY
                }
                return ["load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"].contains(name) ? SQLITE_DENY : SQLITE_OK
            default:
                return SQLITE_DENY
            }
        }
    }

    static func bind(_ value: JSON, to statement: OpaquePointer, at index: Int32) {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        switch value {
        case .null: sqlite3_bind_null(statement, index)
        case .bool(let b): sqlite3_bind_int64(statement, index, b ? 1 : 0)
        case .int(let i): sqlite3_bind_int64(statement, index, i)
        case .double(let d): sqlite3_bind_double(statement, index, d)
        case .string(let s): sqlite3_bind_text(statement, index, s, -1, transient)
        case .array, .object: sqlite3_bind_text(statement, index, JSONWriter.string(value), -1, transient)
        }
    }

    static func value(_ statement: OpaquePointer, _ column: Int32) -> JSON {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .int(sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT: return .double(sqlite3_column_double(statement, column))
        case SQLITE_TEXT: return .string(String(cString: sqlite3_column_text(statement, column)))
        default: return .null
        }
    }
}
