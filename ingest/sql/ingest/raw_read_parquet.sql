-- Stage one Parquet input as text, numbered by row (first row = 1). Its columns were checked against the
-- format before (names known, no nested types).
CREATE OR REPLACE TEMP TABLE {raw} AS
SELECT file_row_number + 1 AS src_line, CAST(COLUMNS(* EXCLUDE (file_row_number)) AS VARCHAR)
FROM read_parquet($path, file_row_number = true)
