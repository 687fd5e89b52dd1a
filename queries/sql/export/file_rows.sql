-- Rows in the exported Parquet files $files (a reference table, or a claim-level table with none in scope).
SELECT count(*) FROM read_parquet($files);
