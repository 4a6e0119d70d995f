import GRDB

extension Statement {
    /// Rows decoded while they are still backed by this statement. A copied `Row` (what `Row.fetchOne` and
    /// `Row.fetchAll` return) finds each column by lower-casing every column name until one matches, which is
    /// quadratic per record and showed up as ~3 % of the webhook path's CPU; a statement-backed row looks names up in
    /// the statement's cached column index.
    public func decodeOne<T>(arguments: StatementArguments = StatementArguments(), _ decode: (Row) throws -> T) throws -> T? {
        let cursor = try Row.fetchCursor(self, arguments: arguments)
        guard let row = try cursor.next() else { return nil }
        return try decode(row)
    }

    /// All rows, each decoded while backed by the statement (see `decodeOne`).
    public func decodeAll<T>(arguments: StatementArguments = StatementArguments(), _ decode: (Row) throws -> T) throws -> [T] {
        let cursor = try Row.fetchCursor(self, arguments: arguments)
        var out: [T] = []
        while let row = try cursor.next() { out.append(try decode(row)) }
        return out
    }
}
