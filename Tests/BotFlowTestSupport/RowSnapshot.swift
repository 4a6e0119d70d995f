import GRDB

/// A `Row` copied out of the database (rows are not `Sendable`), read the same way.
public struct RowSnapshot: Sendable {
    public let values: [String: DatabaseValue]
    public init(_ row: Row) { values = Dictionary(row.map { ($0, $1) }, uniquingKeysWith: { first, _ in first }) }
    /// `as T?` reads NULL as nil; `as T` requires a value.
    public subscript<T: DatabaseValueConvertible>(_ column: String) -> T {
        guard let value = T.fromDatabaseValue(values[column] ?? .null) else { fatalError("column \(column) is NULL, missing or not \(T.self)") }
        return value
    }
}
