-- Stage a DRG weights file (drg, fiscal_year, weight: docs/FORMAT.md) as text, numbered by line (header = 1).
CREATE OR REPLACE TEMP TABLE drg_weights_raw AS
SELECT row_number() OVER () + 1 AS line, *
FROM read_csv($weights_file, header = true, all_varchar = true, auto_detect = false,
              columns = {'drg': 'VARCHAR', 'fiscal_year': 'VARCHAR', 'weight': 'VARCHAR'}, delim = ',', quote = '"')
