-- A TOTP secret sealed again under the primary key (binds the key id, nonce, ciphertext, then the username).
UPDATE second_factors SET key_id = ?, nonce = ?, ciphertext = ? WHERE username = ?;
