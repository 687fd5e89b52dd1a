-- Stage one CSV input as text, in file order. The format is fixed (docs/FORMAT.md): no sniffing, which a
-- stray quote near the top would derail. Rows the reader cannot parse go to {rejects}, with their record
-- number (header = 1). $max_line_size is above the file's size, so no row is ever too long to be read
-- (DuckDB drops such a row without a trace); the length rules of validate_*.sql reject it instead.
CREATE OR REPLACE TEMP TABLE {raw} AS
SELECT * FROM read_csv($path, header = true, auto_detect = false, columns = $columns, delim = ',', quote = '"',
                       escape = '"', encoding = 'utf-8', strict_mode = true, max_line_size = $max_line_size,
                       store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{rejects_scan}')
