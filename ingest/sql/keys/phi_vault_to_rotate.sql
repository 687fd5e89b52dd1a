-- Vault values not yet under the primary key ($1), with the row and column they are bound to.
SELECT rowid AS rid, claim_key AS row_key, field AS column_name, key_id, nonce, ciphertext
FROM phi_vault
WHERE key_id <> $1;
