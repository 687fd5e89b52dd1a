-- (Re)load our CARC table from data/reference/carc.csv, so edits to coding_related take effect.
CREATE OR REPLACE TABLE carc AS
SELECT CAST(code AS VARCHAR) AS code, description, category, CAST(coding_related AS BOOLEAN) AS coding_related
FROM read_csv($carc_file, header = true, all_varchar = true);
