-- The writer's session: no progress bar, which would print into `ingest --json` output.
SET enable_progress_bar = false;
