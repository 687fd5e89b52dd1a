-- Put re-sealed raw rows (the registered Arrow table `resealed`: rid, key_id, nonce, ciphertext) in place.
UPDATE rejects SET key_id = r.key_id, nonce = r.nonce, ciphertext = r.ciphertext
FROM resealed AS r
WHERE rejects.rowid = r.rid;
