-- Whether the live store (attached as `store`) has the stamp of its last write (ingest/sql/store/last_write.sql)
-- and its key check values (audit/sql/keys/key_checks_table.sql); a store from before either is loaded in full.
SELECT count(*) = 2 FROM duckdb_tables()
WHERE database_name = 'store' AND table_name IN ('last_write', 'key_checks');
