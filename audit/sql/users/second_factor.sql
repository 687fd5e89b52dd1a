-- An account's sealed TOTP secret and the last accepted time step (binds the username).
SELECT key_id, nonce, ciphertext, last_step FROM second_factors WHERE username = ?;
