-- Remove an account's second factor (admin reset; binds the username).
DELETE FROM second_factors WHERE username = ?;
