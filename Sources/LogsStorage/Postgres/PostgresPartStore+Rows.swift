import Foundation
import LogsCore

extension PostgresPartStore {
    /// Decodes a row selected with `PartStoreStatements.logColumns`.
    static func log(from row: PostgresRow) throws -> Log {
        try StoreRowDecoding.log(from: row)
    }

    /// Decodes a row with the columns `id, log_id, number, content, final, created_at`.
    static func part(from row: PostgresRow) throws -> StoredLogPart {
        try StoreRowDecoding.part(from: row) { PostgresError(.unexpectedResult, "log part without created_at") }
    }
}
