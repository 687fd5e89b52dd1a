-- Refuse further sign-ins (binds the username).
UPDATE users SET disabled = 1 WHERE username = ?;
