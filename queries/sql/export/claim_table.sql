-- One claim-level table written as Parquet partitioned by its claim's service month (queries/parquet_export.py):
-- <folder>/service_month=YYYY-MM/part_0.parquet. Rows in one total order (ORDER BY ALL) with fixed row groups and
-- compression, so the same store gives the same bytes. {source} is a table from the allow-list in code, {path} the
-- target folder (COPY takes no parameter for it); $date_from and $date_to (NULL = open) bound the claims' service dates.
COPY (
    SELECT t.*, strftime(c.service_date, '%Y-%m') AS service_month
    FROM {source} AS t
    JOIN store.main.claims AS c USING (claim_key)
    WHERE ($date_from IS NULL OR c.service_date >= $date_from)
      AND ($date_to IS NULL OR c.service_date <= $date_to)
    ORDER BY ALL
) TO {path} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000, PARTITION_BY (service_month), FILENAME_PATTERN 'part_{{i}}');
