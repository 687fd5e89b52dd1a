-- Allow sign-ins again (binds the username).
UPDATE users SET disabled = 0 WHERE username = ?;
