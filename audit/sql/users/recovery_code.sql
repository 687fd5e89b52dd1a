-- An unused recovery code's hash (binds the username, the code id).
SELECT code_hash FROM recovery_codes WHERE username = ? AND code_id = ? AND used_at IS NULL;
