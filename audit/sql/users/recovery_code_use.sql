-- Spend a recovery code; changes no row if it was spent meanwhile (binds the time, the username, the code id).
UPDATE recovery_codes SET used_at = ? WHERE username = ? AND code_id = ? AND used_at IS NULL;
