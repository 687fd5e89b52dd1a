-- One new recovery code's hash (binds the username, code id, argon2id hash).
INSERT INTO recovery_codes (username, code_id, code_hash) VALUES (?, ?, ?);
