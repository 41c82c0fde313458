-- Verify travis-logs:create_scan_tracker_table on pg

BEGIN;

SELECT id, log_id, scan_status, details, created_at FROM scan_tracker WHERE false;

ROLLBACK;
