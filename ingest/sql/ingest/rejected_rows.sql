-- The rejected rows of one file, with their reason and the raw row as JSON (sealed before it is stored).
SELECT v.src_line, v.reason, to_json(r)
FROM {checked} AS v JOIN {raw} AS r USING (src_line)
WHERE v.reason IS NOT NULL
ORDER BY v.src_line
