-- The run log: one row per ingest, with its accepted and rejected counts per file.
INSERT INTO ingest_runs VALUES ($run_id, $source, $started_at, $finished_at, $summary)
