-- Every account as callers see it (never the password hash).
SELECT username, role, disabled, failed_attempts, locked_until, created_at, password_changed_at, coder_id
FROM users
ORDER BY username;
