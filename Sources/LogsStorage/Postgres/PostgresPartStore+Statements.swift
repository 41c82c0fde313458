/// The SQL of `PostgresPartStore`, one named statement per query.
enum PartStoreStatements {
    static let logColumns = """
        id, job_id, content, removed_by, created_at, updated_at, aggregated_at, archived_at, purged_at, removed_at,
        archiving, archive_verified, scan_status, scan_status_updated_at, censored, scan_queued_at, scan_started_at,
        scan_processing_at, scan_finalizing_at, scan_ended_at
        """

    /// `logColumns` with NULL in place of `content`, for results whose content the caller already has.
    static let logColumnsWithoutContent = """
        logs.id, job_id, NULL::text AS content, removed_by, created_at, updated_at, aggregated_at, archived_at,
        purged_at, removed_at, archiving, archive_verified, scan_status, scan_status_updated_at, censored,
        scan_queued_at, scan_started_at, scan_processing_at, scan_finalizing_at, scan_ended_at
        """

    static let logIDForJobID = PostgresStatement(
        name: "travis_logs_log_id_for_job_id", sql: "SELECT id FROM logs WHERE job_id = $1 ORDER BY id LIMIT 1")

    /// Inserts a log unless the job has one; relies on the unique index on `logs.job_id`.
    static let createLog = PostgresStatement(
        name: "travis_logs_create_log",
        sql: """
            INSERT INTO logs (job_id, created_at, updated_at) VALUES ($1, $2, $2)
            ON CONFLICT (job_id) DO NOTHING RETURNING id
            """)

    /// Returns the logs of the job ids in `$1` and creates those that do not exist, in job id
    /// order, with `$2` as their creation time. A log that a concurrent writer creates after this
    /// statement's snapshot is missing from the result: the insert skips it and the snapshot cannot
    /// see it, so the caller reads such job ids again.
    static let findOrCreateLogs = PostgresStatement(
        name: "travis_logs_find_or_create_logs",
        sql: """
            WITH wanted AS (
                SELECT DISTINCT job_id FROM unnest($1::bigint[]) AS wanted (job_id)
            ), existing AS (
                SELECT DISTINCT ON (job_id) id, job_id FROM logs
                WHERE job_id = ANY($1::bigint[]) ORDER BY job_id, id
            ), created AS (
                INSERT INTO logs (job_id, created_at, updated_at)
                SELECT job_id, $2::timestamp, $2::timestamp FROM wanted
                WHERE NOT EXISTS (SELECT 1 FROM existing WHERE existing.job_id = wanted.job_id)
                ORDER BY job_id
                ON CONFLICT (job_id) DO NOTHING
                RETURNING id, job_id
            )
            SELECT id, job_id FROM existing
            UNION ALL
            SELECT id, job_id FROM created
            """)

    static let logByID = PostgresStatement(
        name: "travis_logs_log_by_id", sql: "SELECT \(logColumns) FROM logs WHERE id = $1")

    static let logByJobID = PostgresStatement(
        name: "travis_logs_log_by_job_id",
        sql: "SELECT \(logColumns) FROM logs WHERE job_id = $1 ORDER BY id LIMIT 1")

    /// The `xmin` of each log row by id (`$1`) and by job id (`$2`), as its version: the id of the
    /// transaction that wrote this version of the row. Every update writes a new row version, so
    /// `xmin` changes with any committed change. `by_job_id` is true for rows found by job id.
    static let logVersions = PostgresStatement(
        name: "travis_logs_log_versions",
        sql: """
            (SELECT id, job_id, xmin::text::bigint AS version, false AS by_job_id FROM logs WHERE id = ANY($1::bigint[]))
            UNION ALL
            (SELECT DISTINCT ON (job_id) id, job_id, xmin::text::bigint AS version, true AS by_job_id FROM logs
            WHERE job_id = ANY($2::bigint[]) ORDER BY job_id, id)
            """)

    static let copyParts = "COPY log_parts (log_id, number, content, final, created_at) FROM STDIN"

    static let partsInAggregationOrder = PostgresStatement(
        name: "travis_logs_parts_in_aggregation_order",
        sql: """
            SELECT id, log_id, number, content, final, created_at FROM log_parts
            WHERE log_id = $1 ORDER BY number, id
            """)

    /// Locks the rows of several logs in id order, because PostgreSQL sorts before it takes the
    /// row locks. Two batches that share logs then lock them in the same order and cannot deadlock.
    /// It also sets `default_toast_compression` to `$2` until the transaction ends, which is when
    /// the aggregated content is compressed.
    static let lockLogsForAggregation = PostgresStatement(
        name: "travis_logs_lock_logs_for_aggregation",
        sql: """
            SELECT id, content, purged_at IS NOT NULL AS purged,
                set_config('default_toast_compression', $2::text, true) AS toast_compression
            FROM logs
            WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE
            """)

    /// Returns whether the server was built with LZ4, the only setting of
    /// `default_toast_compression` besides `pglz` in PostgreSQL 15.
    static let supportsLZ4Compression = PostgresStatement(
        name: "travis_logs_supports_lz4_compression",
        sql: """
            SELECT 'lz4' = ANY(enumvals) AS supported FROM pg_settings WHERE name = 'default_toast_compression'
            """)

    /// Deletes every part of several logs and returns each log's parts as one row: their ids,
    /// numbers, the UTF-8 length of each stored text, and the stored texts joined. The aggregates
    /// of a group see its rows in one shared order, which `DeletedParts` sorts into aggregation
    /// order. Deleting and reading in one statement scans the parts once, and the rows deleted are
    /// exactly the rows returned.
    static let deletePartsForAggregation = PostgresStatement(
        name: "travis_logs_delete_parts_for_aggregation",
        sql: """
            WITH deleted AS (
                DELETE FROM log_parts WHERE log_id = ANY($1::bigint[])
                RETURNING log_id, id, number, content
            )
            SELECT log_id, array_agg(id) AS ids, array_agg(number) AS numbers,
                array_agg(coalesce(octet_length(content), 0)) AS lengths, string_agg(content, '') AS contents
            FROM deleted
            GROUP BY log_id
            """)

    static let logIDsWithParts = PostgresStatement(
        name: "travis_logs_log_ids_with_parts",
        sql: "SELECT DISTINCT log_id FROM log_parts WHERE log_id = ANY($1::bigint[])")

    /// Stores the aggregations of several logs in one round trip: writes one `scan_tracker` row
    /// per log and updates each log. `$1` to `$4` are parallel arrays of the log id, its new
    /// content, whether the content changed (false for a log without parts, whose content stays),
    /// and whether it was restored from its archive. The returned rows leave out `content`,
    /// because the caller already has it.
    static let storeAggregatedContents = PostgresStatement(
        name: "travis_logs_store_aggregated_logs",
        sql: """
            WITH aggregated AS (
                SELECT * FROM unnest($1::bigint[], $2::text[], $3::boolean[], $4::boolean[])
                    AS aggregated (id, content, changes_content, uses_archive)
            ), scan_tracker_rows AS (
                INSERT INTO scan_tracker (log_id, scan_status, created_at)
                SELECT id, 'ready_for_scan', $5::timestamp FROM aggregated
            )
            UPDATE logs
            SET content = CASE WHEN aggregated.changes_content THEN aggregated.content ELSE logs.content END,
                aggregated_at = CASE WHEN aggregated.changes_content THEN $5::timestamp ELSE logs.aggregated_at END,
                updated_at = CASE WHEN aggregated.changes_content THEN $5::timestamp ELSE logs.updated_at END,
                archived_at = CASE WHEN aggregated.changes_content THEN NULL ELSE logs.archived_at END,
                archive_verified = CASE WHEN aggregated.changes_content THEN false ELSE logs.archive_verified END,
                purged_at = CASE WHEN aggregated.uses_archive THEN NULL ELSE logs.purged_at END,
                scan_status = 'ready_for_scan', scan_status_updated_at = $5::timestamp
            FROM aggregated
            WHERE logs.id = aggregated.id
            RETURNING \(logColumnsWithoutContent)
            """)

    static let deleteAllParts = PostgresStatement(
        name: "travis_logs_delete_all_parts", sql: "DELETE FROM log_parts WHERE log_id = $1")

    static let setContent = PostgresStatement(
        name: "travis_logs_set_content",
        sql: """
            UPDATE logs
            SET content = $2, aggregated_at = CASE WHEN $2::text IS NULL THEN NULL ELSE $3::timestamp END,
                archived_at = NULL, archive_verified = NULL, purged_at = NULL, updated_at = $3,
                removed_by = $4, removed_at = CASE WHEN $4::integer IS NULL THEN NULL ELSE $3::timestamp END
            WHERE id = $1
            RETURNING \(logColumns)
            """)

    static let setArchiving = PostgresStatement(
        name: "travis_logs_set_archiving", sql: "UPDATE logs SET archiving = $2 WHERE id = $1")

    static let markArchiveVerified = PostgresStatement(
        name: "travis_logs_mark_archive_verified",
        sql: "UPDATE logs SET archived_at = $2, archive_verified = true WHERE id = $1")

    static let markNotArchived = PostgresStatement(
        name: "travis_logs_mark_not_archived",
        sql: "UPDATE logs SET archived_at = NULL, archive_verified = false WHERE id = $1")

    /// Purges only when the content is still the verified text: `md5` hashes the UTF-8 bytes, as
    /// the archive check does.
    static let purge = PostgresStatement(
        name: "travis_logs_purge",
        sql: """
            UPDATE logs SET content = NULL, purged_at = $2
            WHERE id = $1 AND md5(coalesce(content, '')) = $3
            """)

    /// Logs in the order of their oldest matching part, as the in-memory store returns them.
    static let aggregatableLogIDs = PostgresStatement(
        name: "travis_logs_aggregatable_log_ids",
        sql: """
            SELECT log_id FROM log_parts
            WHERE (final AND created_at <= $1) OR created_at <= $2
                OR (created_at <= $1 AND EXISTS (
                    SELECT 1 FROM logs WHERE logs.id = log_parts.log_id AND logs.aggregated_at IS NOT NULL))
            GROUP BY log_id
            ORDER BY min(id)
            LIMIT $3
            """)

    static let logParts = PostgresStatement(
        name: "travis_logs_log_parts",
        sql: """
            SELECT id, log_id, number, content, final, created_at FROM log_parts
            WHERE log_id = $1 AND ($2::integer IS NULL OR number > $2)
                AND (cardinality($3::integer[]) = 0 OR number = ANY($3::integer[]))
            ORDER BY number, id
            """)

    static let logPartsWithoutContent = PostgresStatement(
        name: "travis_logs_log_parts_without_content",
        sql: """
            SELECT id, log_id, number, NULL::text AS content, final, created_at FROM log_parts
            WHERE log_id = $1 AND ($2::integer IS NULL OR number > $2)
                AND (cardinality($3::integer[]) = 0 OR number = ANY($3::integer[]))
            ORDER BY number, id
            """)
}
