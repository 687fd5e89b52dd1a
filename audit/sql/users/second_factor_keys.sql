-- The data keys sealed TOTP secrets use: `rotate-key --retire-old` keeps them.
SELECT DISTINCT key_id FROM second_factors;
