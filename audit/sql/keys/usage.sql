-- How many stored values each data key protects, over every table that holds sealed values.
SELECT key_id, count(*) AS stored_values
FROM (
    SELECT key_id FROM phi_vault
    UNION ALL
    SELECT key_id FROM rejects WHERE key_id IS NOT NULL
)
GROUP BY key_id
ORDER BY key_id;
