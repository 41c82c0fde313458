-- Verify travis-logs:logs_create_scan_status on pg

BEGIN;

SELECT scan_status, scan_status_updated_at, censored, scan_queued_at, scan_started_at, scan_processing_at,
    scan_finalizing_at, scan_ended_at
FROM logs
WHERE false;

SELECT 'index_logs_on_scan_status_and_id_desc'::regclass,
    'index_logs_on_scan_status_and_scan_status_updated_at'::regclass,
    'index_logs_on_scan_status_and_created_at_desc'::regclass;

ROLLBACK;
