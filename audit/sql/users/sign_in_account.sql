-- The whole account, hash included, inside a sign-in's write transaction.
SELECT * FROM users WHERE username = ?;
