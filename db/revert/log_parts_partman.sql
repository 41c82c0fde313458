-- Revert travis-logs:log_parts_partman from pg
-- Moves every part back into an unpartitioned log_parts. The pg_partman extension stays
-- installed, because other tables or the database template may use it.

BEGIN;

SET client_min_messages = WARNING;

CREATE TABLE log_parts_unpartitioned (
    id bigint NOT NULL DEFAULT nextval('log_parts_id_seq'::regclass),
    log_id integer NOT NULL,
    content text,
    number integer,
    final boolean,
    created_at timestamp without time zone NOT NULL DEFAULT '2000-01-01'::timestamp
) WITH (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0.001);

INSERT INTO log_parts_unpartitioned (id, log_id, content, number, final, created_at)
SELECT id, log_id, content, number, final, created_at
FROM log_parts;

ALTER SEQUENCE log_parts_id_seq OWNED BY log_parts_unpartitioned.id;

DELETE FROM partman.part_config WHERE parent_table = 'public.log_parts';
DROP TABLE log_parts;
DROP TABLE IF EXISTS partman.template_public_log_parts;

ALTER TABLE log_parts_unpartitioned RENAME TO log_parts;
ALTER TABLE log_parts ADD CONSTRAINT log_parts_pkey PRIMARY KEY (id);
CREATE INDEX index_log_parts_on_created_at ON log_parts USING btree (created_at);
CREATE INDEX index_log_parts_on_log_id_and_number ON log_parts USING btree (log_id, number);

COMMIT;
