-- The floor of the 835 benchmark: DuckDB reading the same files as text.
SELECT sum(length(content)) FROM read_text($glob)
