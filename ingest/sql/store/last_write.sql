-- Every write of the store stamps it (ingest/swap.py): an ingest with its run_id, any other writer with an
-- id of its own. So "the store is the one run R produced" is "last_write holds R" (ingest/rerun.py).
DELETE FROM last_write;
INSERT INTO last_write VALUES ($write_id, now());
