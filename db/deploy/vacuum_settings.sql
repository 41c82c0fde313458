-- Deploy travis-logs:vacuum_settings to pg
-- requires: structure
-- log_parts takes a constant stream of inserts and deletes, so autovacuum visits it after every
-- few dead rows, and vacuum runs with a higher cost budget for the whole database.

BEGIN;

SET client_min_messages = WARNING;

ALTER TABLE log_parts SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0.001);

DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET vacuum_cost_limit = 10000', current_database());
    EXECUTE format('ALTER DATABASE %I SET vacuum_cost_delay = 20', current_database());
END
$$;

COMMIT;
