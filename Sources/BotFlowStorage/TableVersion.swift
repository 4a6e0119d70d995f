import BotFlowCore
import GRDB
import Synchronization

/// A counter that moves forward whenever a committed transaction changed one of `tables` (and when a restore
/// reopens the database). In-memory caches derived from those tables stamp their entries with the version they
/// were read at and treat an older stamp as a miss, so a write through any code path is seen by the next request.
public final class TableVersion: TransactionObserver, @unchecked Sendable {
    public let tables: Set<String>
    private let counter = Atomic<UInt64>(0)
    /// Only touched on the writer connection's queue (GRDB calls observers there).
    private var changedInTransaction = false

    public init(tables: Set<String>) { self.tables = tables }

    /// The current version; compare with a stamp taken before the read the cached value came from.
    public var current: UInt64 { counter.load(ordering: .acquiring) }

    /// True when the write transaction in progress changed one of `tables` already. Read it only inside a write
    /// transaction (on the writer's queue): a cache consulted there must not serve a value that transaction replaced.
    public var changedInCurrentTransaction: Bool { changedInTransaction }

    /// Moves the version on without a transaction (the database file was swapped).
    public func bump() { counter.add(1, ordering: .releasing) }

    public func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { tables.contains(eventKind.tableName) }
    public func databaseDidChange(with event: DatabaseEvent) {
        changedInTransaction = true
        stopObservingDatabaseChangesUntilNextTransaction()
    }
    public func databaseDidChange() { changedInTransaction = true }
    public func databaseDidCommit(_ db: Database) {
        if changedInTransaction { bump() }
        changedInTransaction = false
    }
    public func databaseDidRollback(_ db: Database) { changedInTransaction = false }
}
