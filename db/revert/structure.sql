-- Revert travis-logs:structure from pg

BEGIN;

DROP TABLE logs;
DROP TABLE log_parts;

COMMIT;
