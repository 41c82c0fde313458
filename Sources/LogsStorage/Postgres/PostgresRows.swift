import Foundation

/// The rows a statement returned, copied out of libpq's result in text format.
public struct PostgresRows: Sendable {
    /// The column names, in order.
    public let columns: [String]
    /// Each row's values; nil is SQL NULL.
    public let values: [[String?]]
    /// The number of rows the statement inserted, updated, deleted or copied.
    public let affectedRows: Int

    init(columns: [String], values: [[String?]], affectedRows: Int) {
        self.columns = columns
        self.values = values
        self.affectedRows = affectedRows
    }

    public var count: Int { values.count }

    public var isEmpty: Bool { values.isEmpty }

    /// The rows, each giving access to its values by column name.
    public var rows: [PostgresRow] {
        let indexes = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return values.map { PostgresRow(indexes: indexes, values: $0) }
    }
}

/// One returned row.
public struct PostgresRow: Sendable {
    let indexes: [String: Int]
    let values: [String?]

    /// Returns the column's text, or nil for NULL.
    ///
    /// - Throws: `PostgresError` with code `.unexpectedResult` when there is no such column.
    public func text(_ column: String) throws -> String? {
        guard let index = indexes[column] else {
            throw PostgresError(.unexpectedResult, "the result has no column \(column)")
        }
        return values[index]
    }

    public func integer(_ column: String) throws -> Int64? {
        guard let text = try text(column) else { return nil }
        guard let value = Int64(text) else {
            throw PostgresError(.unexpectedResult, "column \(column) is not an integer")
        }
        return value
    }

    public func boolean(_ column: String) throws -> Bool? {
        try text(column).map { $0 == "t" }
    }

    public func timestamp(_ column: String) throws -> Date? {
        guard let text = try text(column) else { return nil }
        guard let date = PostgresTimestamp.date(from: text) else {
            throw PostgresError(.unexpectedResult, "column \(column) is not a timestamp")
        }
        return date
    }

    /// Returns a column that must not be NULL.
    ///
    /// - Throws: `PostgresError` with code `.unexpectedResult` for NULL or a missing column.
    public func requiredInteger(_ column: String) throws -> Int64 {
        guard let value = try integer(column) else {
            throw PostgresError(.unexpectedResult, "column \(column) is null")
        }
        return value
    }
}
