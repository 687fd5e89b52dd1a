-- Whether the live store carries the mark of a file built by the in-memory writer (mark_plaintext_free.sql).
SELECT count(*) > 0 FROM duckdb_tables() WHERE database_name = 'previous' AND table_name = 'plaintext_free_since';
