-- Verify travis-logs:vacuum_settings on pg

BEGIN;

SELECT 1 / count(*)
FROM pg_class
WHERE oid = 'log_parts'::regclass
    -- A partitioned log_parts keeps the settings on its partitions instead.
    AND (relkind = 'p' OR 'autovacuum_vacuum_scale_factor=0.001' = ANY(reloptions));

ROLLBACK;
