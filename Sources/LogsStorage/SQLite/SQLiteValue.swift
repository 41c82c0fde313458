import Foundation

/// A value bound to a statement parameter.
///
/// SQLite has no boolean or timestamp type: booleans are stored as 0 and 1, and timestamps as UTC
/// text in the fixed-width form `2026-12-04 10:06:07.123456`, so comparing the text compares the
/// times.
public enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)

    public static func integer(_ value: Int64?) -> SQLiteValue {
        value.map { .integer($0) } ?? .null
    }

    public static func text(_ value: String?) -> SQLiteValue {
        value.map { .text($0) } ?? .null
    }

    public static func boolean(_ value: Bool) -> SQLiteValue {
        .integer(value ? 1 : 0)
    }

    public static func timestamp(_ date: Date) -> SQLiteValue {
        .text(PostgresTimestamp.text(of: date))
    }

    /// Encodes integers as a JSON array, for `IN (SELECT value FROM json_each(?))`.
    public static func integers(_ values: [Int64]) -> SQLiteValue {
        .text("[" + values.map(String.init).joined(separator: ",") + "]")
    }
}
