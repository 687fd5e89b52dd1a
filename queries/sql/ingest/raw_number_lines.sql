-- Give each staged CSV row its record number (header = 1). Rows keep file order
-- (preserve_insertion_order); inside a transaction DuckDB numbers them from an offset, so the n-th row is
-- rowid - min(rowid), and the n-th good row is the n-th record number the reader did not reject.
ALTER TABLE {raw} ADD COLUMN src_line BIGINT;
UPDATE {raw} SET src_line = m.line
FROM (
    SELECT row_number() OVER (ORDER BY line) - 1 AS n, line
    FROM (SELECT unnest(range(2, (SELECT count(*) FROM {raw}) + (SELECT count(DISTINCT line) FROM {rejects}) + 2)) AS line)
    WHERE line NOT IN (SELECT line FROM {rejects})
) AS m
WHERE {raw}.rowid - (SELECT min(rowid) FROM {raw}) = m.n;
