-- The sources of every load the store has seen: {'demo'} alone means demo mode.
SELECT DISTINCT source FROM ingest_runs
