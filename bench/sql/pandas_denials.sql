-- The pandas baseline's copy of denials.
SELECT * FROM denials;
