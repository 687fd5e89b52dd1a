-- One sealed value per data key, with where it lives (the vault's table, row and column), to prove a
-- key against the data itself in a store that has no check value for it yet. A claim number is taken
-- where the key has one: opening it also lets the claim's pseudonym be recomputed.
SELECT DISTINCT ON (key_id) key_id, sealed_in, row_key, column_name, nonce, ciphertext
FROM (
    SELECT key_id, 'phi_vault' AS sealed_in, claim_key AS row_key, field AS column_name, nonce, ciphertext,
           CASE WHEN field = 'claim_id' THEN 0 ELSE 1 END AS preference
    FROM phi_vault
    UNION ALL
    SELECT key_id, 'rejects', run_id, file || ':' || CAST(line AS VARCHAR), nonce, ciphertext, 2
    FROM rejects
    WHERE key_id IS NOT NULL
)
ORDER BY key_id, preference;
