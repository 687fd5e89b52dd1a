-- The ingest run that made the store's last write, with what it recorded (ingest/rerun.py); no row when the
-- last write was not an ingest (a key rotation).
SELECT r.run_id, r.finished_at, r.summary
FROM ingest_runs AS r
JOIN last_write AS w ON w.write_id = r.run_id;
