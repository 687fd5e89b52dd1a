-- The hash a sign-in attempt is checked against, read before the write transaction (audit/users.py).
SELECT password_hash FROM users WHERE username = ?;
