-- End a lockout and forget earlier failures (binds the username); also what a successful sign-in does.
UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE username = ?;
