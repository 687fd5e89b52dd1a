-- A sample's replacements in the order they were made.
SELECT replaced_key, spare_key, reason, replaced_by, replaced_at
FROM sample_replacements WHERE sample_id = ?
ORDER BY replaced_at, rowid;
