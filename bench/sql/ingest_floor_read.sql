-- The floor of bench/ingest.py: DuckDB reading one input file (CSV, every column as text) into memory.
CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM read_csv($path, header = true, all_varchar = true);
