-- The whole account, hash included, inside a sign-in's write transaction, with whether it has a second factor.
SELECT *, EXISTS (SELECT 1 FROM second_factors AS f WHERE f.username = users.username) AS second_factor
FROM users WHERE username = ?;
