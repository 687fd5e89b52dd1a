-- Rows per service-month partition of one exported table, read back from the files written ($files): the
-- manifest counts what is in the files, not what was meant to be.
SELECT CAST(service_month AS VARCHAR) AS service_month, count(*) AS rows
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false)
GROUP BY ALL
ORDER BY ALL;
