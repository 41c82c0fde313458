import Foundation
import LogsCore

extension SQLitePartStore {
    /// Decodes a row selected with `SQLiteStatements.logColumns`.
    static func log(from row: SQLiteRow) throws -> Log {
        try StoreRowDecoding.log(from: row)
    }

    /// Decodes a row with the columns `id, log_id, number, content, final, created_at`.
    static func part(from row: SQLiteRow) throws -> StoredLogPart {
        try StoreRowDecoding.part(from: row) { SQLiteError(.unexpectedResult, "log part without created_at") }
    }
}
