-- Verify travis-logs:log_parts_created_at_not_null on pg

BEGIN;

SELECT 1 / count(*)
FROM information_schema.columns
WHERE table_schema = current_schema()
    AND table_name = 'log_parts'
    AND column_name = 'created_at'
    AND is_nullable = 'NO';

ROLLBACK;
