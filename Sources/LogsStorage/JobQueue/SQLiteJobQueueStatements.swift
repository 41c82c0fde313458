/// The job queue's tables and statements in the SQLite file of the dev store.
///
/// Every job is one row of `job_queue_jobs` whose `state` names where it is: `queued` (ordered by
/// `position` within its queue), `scheduled` or `retry` (due at `due_at`, microseconds since
/// 1970), `in_progress` or `dead`. `payload` is the job's Sidekiq JSON, as the Redis queue stores
/// it. `job_queue_unique_keys` stores which waiting job holds each unique key.
enum SQLiteJobQueueStatements {
    static let schema = """
        CREATE TABLE IF NOT EXISTS job_queue_jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            state TEXT NOT NULL,
            queue TEXT NOT NULL,
            position INTEGER NOT NULL DEFAULT 0,
            due_at INTEGER,
            payload TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS index_job_queue_jobs_on_state_queue_position
            ON job_queue_jobs (state, queue, position);
        CREATE INDEX IF NOT EXISTS index_job_queue_jobs_on_state_due_at ON job_queue_jobs (state, due_at);
        CREATE TABLE IF NOT EXISTS job_queue_unique_keys (
            key TEXT PRIMARY KEY,
            jid TEXT NOT NULL
        );
        """

    static let appendQueued = SQLiteStatement(
        name: "job_queue_append",
        sql: """
            INSERT INTO job_queue_jobs (state, queue, position, payload)
            VALUES ('queued', ?1,
                COALESCE((SELECT MAX(position) FROM job_queue_jobs WHERE state = 'queued' AND queue = ?1), 0) + 1, ?2)
            """)

    static let prependQueued = SQLiteStatement(
        name: "job_queue_prepend",
        sql: """
            INSERT INTO job_queue_jobs (state, queue, position, payload)
            VALUES ('queued', ?1,
                COALESCE((SELECT MIN(position) FROM job_queue_jobs WHERE state = 'queued' AND queue = ?1), 0) - 1, ?2)
            """)

    /// Adds a `scheduled`, `retry` or `dead` row; `?4` is the due time or NULL.
    static let insertWaiting = SQLiteStatement(
        name: "job_queue_insert_waiting",
        sql: "INSERT INTO job_queue_jobs (state, queue, due_at, payload) VALUES (?1, ?2, ?4, ?3)")

    static let dueJobs = SQLiteStatement(
        name: "job_queue_due",
        sql: """
            SELECT id, payload FROM job_queue_jobs
            WHERE state IN ('scheduled', 'retry') AND due_at <= ?1
            ORDER BY due_at, id
            """)

    static let deleteByID = SQLiteStatement(
        name: "job_queue_delete_by_id", sql: "DELETE FROM job_queue_jobs WHERE id = ?1")

    static let firstQueued = SQLiteStatement(
        name: "job_queue_first",
        sql: """
            SELECT id, payload FROM job_queue_jobs WHERE state = 'queued' AND queue = ?1
            ORDER BY position LIMIT 1
            """)

    static let markInProgress = SQLiteStatement(
        name: "job_queue_mark_in_progress",
        sql: "UPDATE job_queue_jobs SET state = 'in_progress', position = 0 WHERE id = ?1")

    /// Moves a row to the dead set with the dead-set entry `?2` as its payload.
    static let markDead = SQLiteStatement(
        name: "job_queue_mark_dead",
        sql: "UPDATE job_queue_jobs SET state = 'dead', position = 0, payload = ?2 WHERE id = ?1")

    /// Removes one in-progress row with this payload, as `LREM` removes one list entry.
    static let removeInProgress = SQLiteStatement(
        name: "job_queue_remove_in_progress",
        sql: """
            DELETE FROM job_queue_jobs WHERE id =
                (SELECT id FROM job_queue_jobs WHERE state = 'in_progress' AND payload = ?1 ORDER BY id LIMIT 1)
            RETURNING id
            """)

    static let inProgress = SQLiteStatement(
        name: "job_queue_in_progress",
        sql: "SELECT id, payload FROM job_queue_jobs WHERE state = 'in_progress' ORDER BY id DESC")

    static let claimUniqueKey = SQLiteStatement(
        name: "job_queue_claim_unique_key",
        sql: "INSERT INTO job_queue_unique_keys (key, jid) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING RETURNING key")

    static let releaseUniqueKey = SQLiteStatement(
        name: "job_queue_release_unique_key", sql: "DELETE FROM job_queue_unique_keys WHERE key = ?1 AND jid = ?2")

    static let payloadsInState = SQLiteStatement(
        name: "job_queue_payloads_in_state",
        sql: "SELECT payload, due_at FROM job_queue_jobs WHERE state = ?1 ORDER BY due_at, id")

    static let payloadsInQueue = SQLiteStatement(
        name: "job_queue_payloads_in_queue",
        sql: "SELECT payload FROM job_queue_jobs WHERE state = 'queued' AND queue = ?1 ORDER BY position")

    static let countInState = SQLiteStatement(
        name: "job_queue_count_in_state", sql: "SELECT COUNT(*) AS count FROM job_queue_jobs WHERE state = ?1")

    static let countWaitingOrRunning = SQLiteStatement(
        name: "job_queue_count_active",
        sql:
            "SELECT COUNT(*) AS count FROM job_queue_jobs WHERE state IN ('queued', 'scheduled', 'retry', 'in_progress')"
    )
}
