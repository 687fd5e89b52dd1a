-- Which store, in which state, an export came from: its first and latest ingest runs and how many there were.
SELECT arg_min(run_id, started_at) AS first_run, arg_max(run_id, started_at) AS last_run, count(*) AS runs,
       strftime(max(finished_at) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS last_ingest_at
FROM store.main.ingest_runs;
