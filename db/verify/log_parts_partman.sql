-- Verify travis-logs:log_parts_partman on pg

BEGIN;

SELECT 1 / count(*)
FROM partman.part_config
WHERE parent_table = 'public.log_parts'
    AND retention = '2 days'
    AND infinite_time_partitions;

SELECT 1 / count(*) FROM pg_partitioned_table WHERE partrelid = 'log_parts'::regclass;

ROLLBACK;
