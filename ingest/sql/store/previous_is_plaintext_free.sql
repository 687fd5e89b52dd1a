-- Whether the live store carries the mark of a file built by a writer that never held plaintext (mark_plaintext_free.sql).
SELECT count(*) > 0 FROM duckdb_tables() WHERE database_name = 'previous' AND table_name = 'built_without_plaintext';
