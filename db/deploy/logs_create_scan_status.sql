-- Deploy travis-logs:logs_create_scan_status to pg
-- The columns and indexes of the separate log scanner, which picks up logs whose scan_status is
-- 'ready_for_scan'.

BEGIN;

SET client_min_messages = WARNING;

ALTER TABLE logs
    ADD COLUMN scan_status character varying,
    ADD COLUMN scan_status_updated_at timestamp without time zone,
    ADD COLUMN censored boolean,
    ADD COLUMN scan_queued_at timestamp without time zone,
    ADD COLUMN scan_started_at timestamp without time zone,
    ADD COLUMN scan_processing_at timestamp without time zone,
    ADD COLUMN scan_finalizing_at timestamp without time zone,
    ADD COLUMN scan_ended_at timestamp without time zone;

CREATE INDEX index_logs_on_scan_status_and_id_desc ON logs USING btree (scan_status, id DESC);
CREATE INDEX index_logs_on_scan_status_and_scan_status_updated_at
    ON logs USING btree (scan_status, scan_status_updated_at);
CREATE INDEX index_logs_on_scan_status_and_created_at_desc ON logs USING btree (scan_status, created_at DESC);

COMMIT;
