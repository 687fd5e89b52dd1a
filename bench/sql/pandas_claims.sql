-- The pandas baseline's copy of claims.
SELECT * FROM claims;
