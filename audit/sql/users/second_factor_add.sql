-- A confirmed second factor (binds the username, key id, nonce, ciphertext, enrolment time, accepted step).
INSERT INTO second_factors (username, key_id, nonce, ciphertext, enrolled_at, last_step) VALUES (?, ?, ?, ?, ?, ?);
