-- The column names and types of a Parquet input.
SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($path))
