-- Deploy travis-logs:structure to pg
-- The logs and log_parts tables as the original service created them, so that a database it
-- deployed has exactly these tables, columns and indexes.

BEGIN;

SET client_min_messages = WARNING;

CREATE SEQUENCE log_parts_id_seq;

CREATE TABLE log_parts (
    id bigint NOT NULL DEFAULT nextval('log_parts_id_seq'::regclass),
    log_id integer NOT NULL,
    content text,
    number integer,
    final boolean,
    created_at timestamp without time zone,
    CONSTRAINT log_parts_pkey PRIMARY KEY (id)
);

ALTER SEQUENCE log_parts_id_seq OWNED BY log_parts.id;

CREATE SEQUENCE logs_id_seq;

CREATE TABLE logs (
    id integer NOT NULL DEFAULT nextval('logs_id_seq'::regclass),
    job_id integer,
    content text,
    removed_by integer,
    created_at timestamp without time zone,
    updated_at timestamp without time zone,
    aggregated_at timestamp without time zone,
    archived_at timestamp without time zone,
    purged_at timestamp without time zone,
    removed_at timestamp without time zone,
    archiving boolean,
    archive_verified boolean,
    CONSTRAINT logs_pkey PRIMARY KEY (id)
);

ALTER SEQUENCE logs_id_seq OWNED BY logs.id;

CREATE INDEX index_log_parts_on_created_at ON log_parts USING btree (created_at);
CREATE INDEX index_log_parts_on_log_id_and_number ON log_parts USING btree (log_id, number);
CREATE INDEX index_logs_on_archive_verified ON logs USING btree (archive_verified);
CREATE INDEX index_logs_on_archived_at ON logs USING btree (archived_at);
CREATE INDEX index_logs_on_job_id ON logs USING btree (job_id);

COMMIT;
