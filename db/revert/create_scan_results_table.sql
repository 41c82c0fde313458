-- Revert travis-logs:create_scan_results_table from pg

BEGIN;

DROP TABLE scan_results;

COMMIT;
