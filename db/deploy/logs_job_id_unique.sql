-- Deploy travis-logs:logs_job_id_unique to pg
-- requires: create_scan_results_table
-- Makes index_logs_on_job_id unique, so concurrent writers can never create two logs rows for one
-- job. The original service could, and then split a job's parts between the rows. Each job's
-- duplicate rows are first merged into its oldest row: their parts, scan_tracker and scan_results
-- rows move to it, and their content is appended to its content in id order.

BEGIN;

SET client_min_messages = WARNING;

-- Keeps new duplicates from appearing while the merge runs; reads go on.
LOCK TABLE logs IN SHARE ROW EXCLUSIVE MODE;

CREATE TEMPORARY TABLE merged_logs ON COMMIT DROP AS
SELECT id, kept_id
FROM (
    SELECT id, min(id) OVER (PARTITION BY job_id) AS kept_id
    FROM logs
    WHERE job_id IS NOT NULL
) AS ranked
WHERE id <> kept_id;

UPDATE log_parts SET log_id = merged_logs.kept_id FROM merged_logs WHERE log_parts.log_id = merged_logs.id;
UPDATE scan_tracker SET log_id = merged_logs.kept_id FROM merged_logs WHERE scan_tracker.log_id = merged_logs.id;
UPDATE scan_results SET log_id = merged_logs.kept_id FROM merged_logs WHERE scan_results.log_id = merged_logs.id;

-- The archive no longer matches a merged content, so the archive flags are cleared.
UPDATE logs
SET content = merged.content,
    aggregated_at = merged.aggregated_at,
    archived_at = NULL,
    archive_verified = false,
    updated_at = now() AT TIME ZONE 'UTC'
FROM (
    SELECT family.kept_id, string_agg(logs.content, '' ORDER BY logs.id) AS content,
        max(logs.aggregated_at) AS aggregated_at
    FROM (
        SELECT id, kept_id FROM merged_logs
        UNION
        SELECT kept_id, kept_id FROM merged_logs
    ) AS family
    JOIN logs ON logs.id = family.id
    GROUP BY family.kept_id
    HAVING bool_or(family.id <> family.kept_id AND logs.content IS NOT NULL)
) AS merged
WHERE logs.id = merged.kept_id;

DELETE FROM logs USING merged_logs WHERE logs.id = merged_logs.id;

DROP INDEX index_logs_on_job_id;
CREATE UNIQUE INDEX index_logs_on_job_id ON logs USING btree (job_id);

COMMIT;
