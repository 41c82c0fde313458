-- Revert travis-logs:vacuum_settings from pg

BEGIN;

SET client_min_messages = WARNING;

ALTER TABLE log_parts RESET (autovacuum_vacuum_threshold, autovacuum_vacuum_scale_factor);

DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I RESET vacuum_cost_limit', current_database());
    EXECUTE format('ALTER DATABASE %I RESET vacuum_cost_delay', current_database());
END
$$;

COMMIT;
