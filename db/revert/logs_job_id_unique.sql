-- Revert travis-logs:logs_job_id_unique from pg
-- The index becomes non-unique again, but rows merged by the deploy stay merged.

BEGIN;

SET client_min_messages = WARNING;

DROP INDEX index_logs_on_job_id;
CREATE INDEX index_logs_on_job_id ON logs USING btree (job_id);

COMMIT;
