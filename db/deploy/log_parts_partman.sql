-- Deploy travis-logs:log_parts_partman to pg
-- requires: logs_job_id_unique
-- Partitions log_parts by day of created_at with pg_partman and keeps 2 days of partitions, so
-- old parts go by dropping a partition instead of by DELETE and vacuum. Existing rows move into
-- the new table; rows from before the day before yesterday land in the default partition, which
-- retention does not drop. Needs a superuser when pg_partman is not installed yet.

BEGIN;

SET client_min_messages = WARNING;

CREATE SCHEMA IF NOT EXISTS partman;
CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;

ALTER TABLE log_parts RENAME TO log_parts_unpartitioned;
ALTER TABLE log_parts_unpartitioned RENAME CONSTRAINT log_parts_pkey TO log_parts_unpartitioned_pkey;
ALTER INDEX index_log_parts_on_created_at RENAME TO index_log_parts_unpartitioned_on_created_at;
ALTER INDEX index_log_parts_on_log_id_and_number RENAME TO index_log_parts_unpartitioned_on_log_id_and_number;

-- PostgreSQL requires the partition key in the primary key of a partitioned table.
CREATE TABLE log_parts (
    id bigint NOT NULL DEFAULT nextval('log_parts_id_seq'::regclass),
    log_id integer NOT NULL,
    content text,
    number integer,
    final boolean,
    created_at timestamp without time zone NOT NULL DEFAULT '2000-01-01'::timestamp,
    CONSTRAINT log_parts_pkey PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

ALTER SEQUENCE log_parts_id_seq OWNED BY log_parts.id;

CREATE INDEX index_log_parts_on_created_at ON log_parts USING btree (created_at);
CREATE INDEX index_log_parts_on_log_id_and_number ON log_parts USING btree (log_id, number);

-- A partitioned table cannot hold storage parameters, so they go on a template whose parameters
-- pg_partman 4.7 copies to each new partition.
CREATE TABLE partman.template_public_log_parts (LIKE log_parts)
    WITH (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0.001);

SELECT partman.create_parent(
    p_parent_table := 'public.log_parts',
    p_control := 'created_at',
    p_type := 'native',
    p_interval := 'daily',
    p_premake := 4,
    p_start_partition := to_char(now() AT TIME ZONE 'UTC' - interval '2 days', 'YYYY-MM-DD'),
    p_template_table := 'partman.template_public_log_parts'
);

-- Without infinite_time_partitions, a table that stops receiving rows stops getting future
-- partitions.
UPDATE partman.part_config
SET retention = '2 days', retention_keep_table = false, infinite_time_partitions = true
WHERE parent_table = 'public.log_parts';

INSERT INTO log_parts (id, log_id, content, number, final, created_at)
SELECT id, log_id, content, number, final, created_at
FROM log_parts_unpartitioned;

DROP TABLE log_parts_unpartitioned;

COMMIT;
