-- A claim-level table with no rows in scope: one Parquet file holding its columns only, so a reader still
-- finds the table and its schema (a partitioned write of nothing writes no file).
COPY (SELECT * FROM {source} LIMIT 0) TO {path} (FORMAT parquet, COMPRESSION zstd);
