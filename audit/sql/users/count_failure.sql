-- A failed attempt during a lock: counted, the lock is not extended (binds the count, then the username).
UPDATE users SET failed_attempts = ? WHERE username = ?;
