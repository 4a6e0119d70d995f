import BotFlowCore
import GRDB

extension Row {
    /// A JSON text column parsed into a value (`fallback` when NULL; the schema's CHECK guarantees validity).
    public func json(_ column: String, fallback: JSON = .null) -> JSON {
        guard let text: String = self[column] else { return fallback }
        return (try? JSONParser.parse(text)) ?? fallback
    }

    /// An `INTEGER 0/1` boolean column.
    public func bool(_ column: String) -> Bool {
        (self[column] as Int64? ?? 0) != 0
    }
}

extension JSON {
    /// Compact JSON text for a JSON column.
    public var columnText: String { JSONWriter.string(self) }
}
