-- Deploy travis-logs:create_scan_results_table to pg
-- The findings of the log scanner; this service only keeps the table in its schema.

BEGIN;

SET client_min_messages = WARNING;

CREATE SEQUENCE scan_results_id_seq;

CREATE TABLE scan_results (
    id bigint NOT NULL DEFAULT nextval('scan_results_id_seq'::regclass),
    repository_id bigint NOT NULL,
    job_id bigint NOT NULL,
    log_id bigint NOT NULL,
    owner_id integer NOT NULL,
    owner_type character varying NOT NULL,
    content jsonb NOT NULL,
    issues_found integer NOT NULL,
    archived boolean,
    purged_at timestamp without time zone,
    created_at timestamp without time zone,
    CONSTRAINT scan_results_pkey PRIMARY KEY (id)
);

ALTER SEQUENCE scan_results_id_seq OWNED BY scan_results.id;

CREATE INDEX index_scan_results_on_repository_id ON scan_results USING btree (repository_id);

COMMIT;
