-- What the vault already holds for the accepted claims, so unchanged values are not re-encrypted.
SELECT v.claim_key, v.field, v.key_id, v.nonce, v.ciphertext
FROM phi_vault AS v
SEMI JOIN (SELECT claim_key FROM v_claims WHERE reason IS NULL) AS a ON a.claim_key = v.claim_key
