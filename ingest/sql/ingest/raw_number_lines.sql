-- Give each staged CSV row its record number (header = 1). Rows keep file order
-- (preserve_insertion_order); inside a transaction DuckDB numbers them from an offset, so the n-th row
-- (from 0) has rowid min(rowid) + n, and the n-th good row is the n-th record number the reader did not
-- reject. The join is on rowid alone, so it is a hash join.
ALTER TABLE {raw} ADD COLUMN src_line BIGINT;
UPDATE {raw} SET src_line = m.line
FROM (
    SELECT row_number() OVER (ORDER BY line) - 1 + (SELECT coalesce(min(rowid), 0) FROM {raw}) AS row_id, line
    FROM (SELECT unnest(range(2, (SELECT count(*) FROM {raw}) + (SELECT count(DISTINCT line) FROM {rejects}) + 2)) AS line)
    WHERE line NOT IN (SELECT line FROM {rejects})
) AS m
WHERE {raw}.rowid = m.row_id;
