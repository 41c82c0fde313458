import Foundation

/// One result row, with its values read by column name.
public struct SQLiteRow: Sendable {
    /// The index of each column by name, shared by the rows of one result.
    let columnIndexes: [String: Int]
    let values: [SQLiteValue]

    /// Returns the value of a column, or `.null` when the column is missing.
    public subscript(column: String) -> SQLiteValue {
        columnIndexes[column].map { values[$0] } ?? .null
    }

    public func integer(_ column: String) throws -> Int64? {
        switch self[column] {
        case .null: return nil
        case .integer(let value): return value
        case .text(let text):
            guard let value = Int64(text) else { throw mismatch(column, expected: "an integer") }
            return value
        }
    }

    public func requiredInteger(_ column: String) throws -> Int64 {
        guard let value = try integer(column) else { throw mismatch(column, expected: "an integer") }
        return value
    }

    public func text(_ column: String) throws -> String? {
        switch self[column] {
        case .null: return nil
        case .text(let text): return text
        case .integer(let value): return String(value)
        }
    }

    public func boolean(_ column: String) throws -> Bool? {
        try integer(column).map { $0 != 0 }
    }

    public func timestamp(_ column: String) throws -> Date? {
        guard let text = try text(column) else { return nil }
        guard let date = PostgresTimestamp.date(from: text) else {
            throw mismatch(column, expected: "a timestamp")
        }
        return date
    }

    private func mismatch(_ column: String, expected: String) -> SQLiteError {
        SQLiteError(.unexpectedResult, "column \(column) does not contain \(expected)")
    }
}
