/// The logs schema in SQLite: the tables, columns and indexes of the PostgreSQL schema in `db/`.
///
/// Column types follow SQLite's affinities: `integer` and `bigint` columns are INTEGER, text and
/// `character varying` are TEXT, `jsonb` is TEXT holding JSON, booleans are INTEGER 0 or 1, and
/// timestamps are TEXT (see `SQLiteValue`). Ids come from AUTOINCREMENT, which like a PostgreSQL
/// sequence never hands out an id twice. `index_logs_on_job_id` is unique, as after the
/// `logs_job_id_unique` change, so one job never gets two `logs` rows. `log_parts` is not
/// partitioned.
///
/// The file records its schema version in `PRAGMA user_version`: 0 is an empty file, and each
/// later version adds one entry to `migrations`.
enum SQLiteSchema {
    static let migrations: [String] = [version1]

    static var currentVersion: Int64 { Int64(migrations.count) }

    /// Brings the file's schema up to `currentVersion`, in one write transaction so that
    /// connections opening the same new file at once create it once.
    ///
    /// - Throws: `SQLiteError` with code `.unsupportedSchema` when the file comes from a newer
    ///   build, or the error of a failed statement.
    static func migrate(on connection: isolated SQLiteConnection) throws {
        let statement = SQLiteStatement(name: "user_version", sql: "PRAGMA user_version")
        try connection.withTransaction { connection in
            let version = try connection.query(statement).first?.integer("user_version") ?? 0
            guard version <= currentVersion else {
                throw SQLiteError(
                    .unsupportedSchema,
                    "the database has schema version \(version), but this build supports versions up to "
                        + "\(currentVersion); use a newer travis-logs or another file")
            }
            for (index, migration) in migrations.enumerated().dropFirst(Int(version)) {
                try connection.execute(migration, name: "schema_version_\(index + 1)")
                try connection.execute("PRAGMA user_version = \(index + 1)", name: "set_user_version")
            }
        }
    }

    private static let version1 = """
        CREATE TABLE logs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id INTEGER,
            content TEXT,
            removed_by INTEGER,
            created_at TEXT,
            updated_at TEXT,
            aggregated_at TEXT,
            archived_at TEXT,
            purged_at TEXT,
            removed_at TEXT,
            archiving INTEGER,
            archive_verified INTEGER,
            scan_status TEXT,
            scan_status_updated_at TEXT,
            censored INTEGER,
            scan_queued_at TEXT,
            scan_started_at TEXT,
            scan_processing_at TEXT,
            scan_finalizing_at TEXT,
            scan_ended_at TEXT
        );
        CREATE UNIQUE INDEX index_logs_on_job_id ON logs (job_id);
        CREATE INDEX index_logs_on_archive_verified ON logs (archive_verified);
        CREATE INDEX index_logs_on_archived_at ON logs (archived_at);
        CREATE INDEX index_logs_on_scan_status_and_id_desc ON logs (scan_status, id DESC);
        CREATE INDEX index_logs_on_scan_status_and_scan_status_updated_at
            ON logs (scan_status, scan_status_updated_at);
        CREATE INDEX index_logs_on_scan_status_and_created_at_desc ON logs (scan_status, created_at DESC);

        CREATE TABLE log_parts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            log_id INTEGER NOT NULL,
            content TEXT,
            number INTEGER,
            final INTEGER,
            created_at TEXT NOT NULL DEFAULT '2000-01-01 00:00:00.000000'
        );
        CREATE INDEX index_log_parts_on_created_at ON log_parts (created_at);
        CREATE INDEX index_log_parts_on_log_id_and_number ON log_parts (log_id, number);

        CREATE TABLE scan_tracker (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            log_id INTEGER NOT NULL,
            scan_status TEXT,
            details TEXT,
            created_at TEXT
        );

        CREATE TABLE scan_results (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            repository_id INTEGER NOT NULL,
            job_id INTEGER NOT NULL,
            log_id INTEGER NOT NULL,
            owner_id INTEGER NOT NULL,
            owner_type TEXT NOT NULL,
            content TEXT NOT NULL,
            issues_found INTEGER NOT NULL,
            archived INTEGER,
            purged_at TEXT,
            created_at TEXT
        );
        CREATE INDEX index_scan_results_on_repository_id ON scan_results (repository_id);
        """
}
