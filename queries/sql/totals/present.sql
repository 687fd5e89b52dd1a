-- Whether the store holds the per-month totals (totals/build.sql); a store written before them has none, and
-- its summaries are all scans.
SELECT count(*) > 0 FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'claim_month_totals';
