-- The tables the store holds: a store written before a reference table existed (rarc) exports without it.
SELECT table_name FROM duckdb_tables() WHERE database_name = 'store' AND schema_name = 'main' ORDER BY ALL;
