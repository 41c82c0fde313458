-- Deploy travis-logs:create_scan_tracker_table to pg
-- requires: logs_create_scan_status
-- The history of each log's scan_status changes, written by aggregation and the log scanner.

BEGIN;

SET client_min_messages = WARNING;

CREATE SEQUENCE scan_tracker_id_seq;

CREATE TABLE scan_tracker (
    id bigint NOT NULL DEFAULT nextval('scan_tracker_id_seq'::regclass),
    log_id bigint NOT NULL,
    scan_status character varying,
    details jsonb,
    created_at timestamp without time zone,
    CONSTRAINT scan_tracker_pkey PRIMARY KEY (id)
);

ALTER SEQUENCE scan_tracker_id_seq OWNED BY scan_tracker.id;

COMMIT;
