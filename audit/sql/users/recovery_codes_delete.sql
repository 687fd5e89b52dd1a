-- Remove an account's recovery codes, used or not (admin reset; binds the username).
DELETE FROM recovery_codes WHERE username = ?;
