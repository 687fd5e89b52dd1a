-- A new password ends any lockout (binds the new hash, the time, then the username).
UPDATE users SET password_hash = ?, password_changed_at = ?, failed_attempts = 0, locked_until = NULL
WHERE username = ?;
