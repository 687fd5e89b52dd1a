-- Whether the live store has the remittances table yet (a store written before 835 files were read has not).
SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = 'remittances'
