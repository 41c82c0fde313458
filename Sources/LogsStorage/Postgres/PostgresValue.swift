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

extension PostgresValue {
    /// Returns a one-dimensional text array literal, such as a `text[]` parameter for `unnest`.
    ///
    /// Every element is double-quoted with `"` and `\` escaped by a backslash, so commas, braces,
    /// spaces and the word NULL stay text. A nil element is SQL NULL.
    static func texts(_ values: [String?]) -> PostgresValue {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(values.reduce(2) { $0 + ($1?.utf8.count ?? 4) + 3 })
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            guard let value else {
                bytes.append(contentsOf: "NULL".utf8)
                continue
            }
            bytes.append(UInt8(ascii: "\""))
            for byte in value.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return .text(String(decoding: bytes, as: UTF8.self))
    }

    /// Returns a one-dimensional boolean array literal.
    static func booleans(_ values: [Bool]) -> PostgresValue {
        .text("{" + values.map { $0 ? "t" : "f" }.joined(separator: ",") + "}")
    }
}
