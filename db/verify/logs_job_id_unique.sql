-- Verify travis-logs:logs_job_id_unique on pg

BEGIN;

SELECT 1 / count(*)
FROM pg_index
WHERE indexrelid = 'index_logs_on_job_id'::regclass
    AND indisunique;

ROLLBACK;
