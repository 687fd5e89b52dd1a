-- Opens the read transaction of a backup's snapshot (after BEGIN): from here on this connection sees the review
-- or account store as it was at this moment, whatever commits later (SQLite in WAL mode).
SELECT count(*) FROM sqlite_master;
