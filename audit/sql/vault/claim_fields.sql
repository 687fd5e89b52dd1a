-- The sealed fields ($fields) of one claim ($claim_key), as stored; the vault opens them.
SELECT field, key_id, nonce, ciphertext
FROM phi_vault
WHERE claim_key = $claim_key AND list_contains($fields, field);
