-- The version readers compare with the one they loaded.
SELECT version FROM publication;
