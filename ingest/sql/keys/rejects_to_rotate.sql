-- Sealed raw rows of rejects not yet under the primary key ($1), with the row and column they are bound to.
SELECT rowid AS rid, run_id AS row_key, file || ':' || CAST(line AS VARCHAR) AS column_name, key_id, nonce, ciphertext
FROM rejects
WHERE key_id IS NOT NULL AND key_id <> $1;
