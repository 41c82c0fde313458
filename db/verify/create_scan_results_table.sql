-- Verify travis-logs:create_scan_results_table on pg

BEGIN;

SELECT id, repository_id, job_id, log_id, owner_id, owner_type, content, issues_found, archived, purged_at,
    created_at
FROM scan_results
WHERE false;

SELECT 'index_scan_results_on_repository_id'::regclass;

ROLLBACK;
