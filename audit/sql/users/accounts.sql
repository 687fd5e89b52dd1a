-- Every account as callers see it (never the password hash), with whether it has a second factor.
SELECT username, role, disabled, failed_attempts, locked_until, created_at, password_changed_at, coder_id,
       EXISTS (SELECT 1 FROM second_factors AS f WHERE f.username = users.username) AS second_factor
FROM users
ORDER BY username;
