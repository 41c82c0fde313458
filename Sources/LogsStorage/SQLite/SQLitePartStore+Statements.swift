/// The SQL of `SQLitePartStore`, one cached statement per query.
enum SQLiteStatements {
    static let logColumns = """
        id, job_id, content, removed_by, created_at, updated_at, aggregated_at, archived_at, purged_at, removed_at,
        archiving, archive_verified, scan_status, scan_status_updated_at, censored, scan_queued_at, scan_started_at,
        scan_processing_at, scan_finalizing_at, scan_ended_at
        """

    static let logIDForJobID = SQLiteStatement(
        name: "log_id_for_job_id", sql: "SELECT id FROM logs WHERE job_id = ?1 ORDER BY id LIMIT 1")

    /// Inserts a log unless the job has one; relies on the unique index on `logs.job_id`.
    static let createLog = SQLiteStatement(
        name: "create_log",
        sql: """
            INSERT INTO logs (job_id, created_at, updated_at) VALUES (?1, ?2, ?2)
            ON CONFLICT (job_id) DO NOTHING RETURNING id
            """)

    static let logByID = SQLiteStatement(name: "log_by_id", sql: "SELECT \(logColumns) FROM logs WHERE id = ?1")

    static let logByJobID = SQLiteStatement(
        name: "log_by_job_id", sql: "SELECT \(logColumns) FROM logs WHERE job_id = ?1 ORDER BY id LIMIT 1")

    static let insertPart = SQLiteStatement(
        name: "insert_part",
        sql: "INSERT INTO log_parts (log_id, number, content, final, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")

    static let logContent = SQLiteStatement(
        name: "log_content", sql: "SELECT content, purged_at IS NOT NULL AS purged FROM logs WHERE id = ?1")

    static let partsInAggregationOrder = SQLiteStatement(
        name: "parts_in_aggregation_order",
        sql: """
            SELECT id, log_id, number, content, final, created_at FROM log_parts
            WHERE log_id = ?1 ORDER BY number, id
            """)

    /// Deletes the parts whose ids are in the JSON array `?2`.
    static let deleteUsedParts = SQLiteStatement(
        name: "delete_used_parts",
        sql: "DELETE FROM log_parts WHERE log_id = ?1 AND id IN (SELECT value FROM json_each(?2))")

    static let insertScanTrackerRow = SQLiteStatement(
        name: "insert_scan_tracker_row",
        sql: "INSERT INTO scan_tracker (log_id, scan_status, created_at) VALUES (?1, 'ready_for_scan', ?2)")

    /// Stores the aggregated content and hands the log to the log scanner. `?4` is 1 when the log
    /// was restored from its archive.
    static let storeAggregatedContent = SQLiteStatement(
        name: "store_aggregated_content",
        sql: """
            UPDATE logs
            SET content = ?2, aggregated_at = ?3, updated_at = ?3, archived_at = NULL, archive_verified = 0,
                purged_at = CASE WHEN ?4 THEN NULL ELSE purged_at END,
                scan_status = 'ready_for_scan', scan_status_updated_at = ?3
            WHERE id = ?1
            RETURNING \(logColumns)
            """)

    /// Hands a log without parts to the log scanner, leaving its content as it is.
    static let markReadyForScan = SQLiteStatement(
        name: "mark_ready_for_scan",
        sql: """
            UPDATE logs SET scan_status = 'ready_for_scan', scan_status_updated_at = ?2
            WHERE id = ?1
            RETURNING \(logColumns)
            """)

    static let deleteAllParts = SQLiteStatement(
        name: "delete_all_parts", sql: "DELETE FROM log_parts WHERE log_id = ?1")

    static let setContent = SQLiteStatement(
        name: "set_content",
        sql: """
            UPDATE logs
            SET content = ?2, aggregated_at = CASE WHEN ?2 IS NULL THEN NULL ELSE ?3 END,
                archived_at = NULL, archive_verified = NULL, purged_at = NULL, updated_at = ?3,
                removed_by = ?4, removed_at = CASE WHEN ?4 IS NULL THEN NULL ELSE ?3 END
            WHERE id = ?1
            RETURNING \(logColumns)
            """)

    static let setArchiving = SQLiteStatement(
        name: "set_archiving", sql: "UPDATE logs SET archiving = ?2 WHERE id = ?1")

    static let markArchiveVerified = SQLiteStatement(
        name: "mark_archive_verified", sql: "UPDATE logs SET archived_at = ?2, archive_verified = 1 WHERE id = ?1")

    static let markNotArchived = SQLiteStatement(
        name: "mark_not_archived", sql: "UPDATE logs SET archived_at = NULL, archive_verified = 0 WHERE id = ?1")

    static let purge = SQLiteStatement(
        name: "purge", sql: "UPDATE logs SET content = NULL, purged_at = ?2 WHERE id = ?1")

    /// Logs in the order of their oldest matching part, as the in-memory store returns them.
    static let aggregatableLogIDs = SQLiteStatement(
        name: "aggregatable_log_ids",
        sql: """
            SELECT log_id FROM log_parts
            WHERE (final AND created_at <= ?1) OR created_at <= ?2
                OR (created_at <= ?1 AND EXISTS (
                    SELECT 1 FROM logs WHERE logs.id = log_parts.log_id AND logs.aggregated_at IS NOT NULL))
            GROUP BY log_id
            ORDER BY min(id)
            LIMIT ?3
            """)

    /// `?2` is the number after which parts are returned, or NULL; `?3` a JSON array of the
    /// numbers wanted, where `[]` means all.
    private static let partFilter = """
        WHERE log_id = ?1 AND (?2 IS NULL OR number > ?2)
            AND (?3 = '[]' OR number IN (SELECT value FROM json_each(?3)))
        ORDER BY number, id
        """

    static let logParts = SQLiteStatement(
        name: "log_parts", sql: "SELECT id, log_id, number, content, final, created_at FROM log_parts \(partFilter)")

    static let logPartsWithoutContent = SQLiteStatement(
        name: "log_parts_without_content",
        sql: "SELECT id, log_id, number, NULL AS content, final, created_at FROM log_parts \(partFilter)")
}
