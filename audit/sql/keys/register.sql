-- Record a key's check value unless the store already knows that key (kind and id).
INSERT INTO key_checks
SELECT $kind, $key_id, $check_value, $first_used
WHERE NOT EXISTS (SELECT 1 FROM key_checks WHERE kind = $kind AND key_id = $key_id);
