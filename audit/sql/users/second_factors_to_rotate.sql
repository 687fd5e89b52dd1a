-- Sealed TOTP secrets not under the primary data key (binds the primary key id).
SELECT username, key_id, nonce, ciphertext FROM second_factors WHERE key_id <> ?;
