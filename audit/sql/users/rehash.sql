-- Upgrade a hash made under older argon2 parameters at sign-in (binds the new hash, then the username).
UPDATE users SET password_hash = ? WHERE username = ?;
