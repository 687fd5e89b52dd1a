-- New and changed PHI values (registered as vault_new) replace what the vault held for the same field.
DELETE FROM phi_vault AS v USING vault_new AS n WHERE v.claim_key = n.claim_key AND v.field = n.field;
INSERT INTO phi_vault SELECT claim_key, field, key_id, nonce, ciphertext FROM vault_new;
