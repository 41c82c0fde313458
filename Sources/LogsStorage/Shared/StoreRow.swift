import Foundation
import LogsCore

/// A result row of a SQL store, read by column name; PostgreSQL and SQLite rows both provide it.
protocol StoreRow {
    func text(_ column: String) throws -> String?
    func integer(_ column: String) throws -> Int64?
    func requiredInteger(_ column: String) throws -> Int64
    func boolean(_ column: String) throws -> Bool?
    func timestamp(_ column: String) throws -> Date?
}

extension PostgresRow: StoreRow {}

extension SQLiteRow: StoreRow {}

/// Decoding of `logs` and `log_parts` rows, shared by the SQL stores because their columns are the same.
enum StoreRowDecoding {
    /// Decodes a row with every column of `logs`.
    static func log(from row: some StoreRow) throws -> Log {
        var log = Log(id: LogID(try row.requiredInteger("id")), jobID: JobID(try row.requiredInteger("job_id")))
        log.content = try row.text("content")
        log.removedBy = try row.integer("removed_by")
        log.createdAt = try row.timestamp("created_at")
        log.updatedAt = try row.timestamp("updated_at")
        log.aggregatedAt = try row.timestamp("aggregated_at")
        log.archivedAt = try row.timestamp("archived_at")
        log.purgedAt = try row.timestamp("purged_at")
        log.removedAt = try row.timestamp("removed_at")
        log.isArchiving = try row.boolean("archiving")
        log.isArchiveVerified = try row.boolean("archive_verified")
        log.scanStatus = try row.text("scan_status")
        log.scanStatusUpdatedAt = try row.timestamp("scan_status_updated_at")
        log.isCensored = try row.boolean("censored")
        log.scanQueuedAt = try row.timestamp("scan_queued_at")
        log.scanStartedAt = try row.timestamp("scan_started_at")
        log.scanProcessingAt = try row.timestamp("scan_processing_at")
        log.scanFinalizingAt = try row.timestamp("scan_finalizing_at")
        log.scanEndedAt = try row.timestamp("scan_ended_at")
        return log
    }

    /// Decodes a row with the columns `id, log_id, number, content, final, created_at`.
    ///
    /// - Parameter missingCreatedAt: the store's error for a part without `created_at`.
    static func part(from row: some StoreRow, missingCreatedAt: () -> any Error) throws -> StoredLogPart {
        guard let createdAt = try row.timestamp("created_at") else { throw missingCreatedAt() }
        return StoredLogPart(
            id: try row.requiredInteger("id"), logID: LogID(try row.requiredInteger("log_id")),
            number: Int(try row.integer("number") ?? 0), content: try row.text("content"),
            isFinal: try row.boolean("final") ?? false, createdAt: createdAt)
    }
}
