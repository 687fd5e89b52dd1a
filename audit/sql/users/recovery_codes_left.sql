-- How many of an account's recovery codes are unused (binds the username).
SELECT count(*) AS left FROM recovery_codes WHERE username = ? AND used_at IS NULL;
