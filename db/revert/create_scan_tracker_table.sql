-- Revert travis-logs:create_scan_tracker_table from pg

BEGIN;

DROP TABLE scan_tracker;

COMMIT;
