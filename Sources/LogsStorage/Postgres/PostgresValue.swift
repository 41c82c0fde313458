import Foundation

/// A statement parameter, sent to the server in text format.
public enum PostgresValue: Sendable, Hashable {
    case null
    case text(String)
    case integer(Int64)
    case boolean(Bool)
    /// A `timestamp without time zone` holding UTC, as every time column of the logs schema does.
    case timestamp(Date)
    /// A one-dimensional array of integers, such as a `bigint[]` parameter for `= ANY($1)`.
    case integers([Int64])

    /// The text the server parses, or nil for SQL NULL.
    var text: String? {
        switch self {
        case .null: return nil
        case .text(let value): return value
        case .integer(let value): return String(value)
        case .boolean(let value): return value ? "t" : "f"
        case .timestamp(let value): return PostgresTimestamp.text(of: value)
        case .integers(let values): return "{" + values.map(String.init).joined(separator: ",") + "}"
        }
    }
}

extension PostgresValue {
    /// Returns an integer value, or NULL for nil.
    static func integer(_ value: Int64?) -> PostgresValue {
        value.map { .integer($0) } ?? .null
    }

    /// Returns a text value, or NULL for nil.
    static func text(_ value: String?) -> PostgresValue {
        value.map { .text($0) } ?? .null
    }
}
