-- A failed attempt outside a lock: counted, and locks until the given time when the limit is reached
-- (binds the count, the lock end or NULL, then the username).
UPDATE users SET failed_attempts = ?, locked_until = ? WHERE username = ?;
