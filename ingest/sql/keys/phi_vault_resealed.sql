-- Put re-sealed values (the registered Arrow table `resealed`: rid, key_id, nonce, ciphertext) in place.
UPDATE phi_vault SET key_id = r.key_id, nonce = r.nonce, ciphertext = r.ciphertext
FROM resealed AS r
WHERE phi_vault.rowid = r.rid;
