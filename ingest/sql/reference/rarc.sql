-- (Re)load our remark-code (RARC) descriptions from data/reference/rarc.csv.
CREATE OR REPLACE TABLE rarc AS
SELECT CAST(code AS VARCHAR) AS code, description
FROM read_csv($rarc_file, header = true, all_varchar = true);
