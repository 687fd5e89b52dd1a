-- Whether the store already holds the ICD-10-CM table (it changes only with a new code-set release).
SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = 'icd10cm' AND database_name = current_database() AND NOT temporary;
