-- Every key this store has recorded, with its check value.
SELECT kind, key_id, check_value, first_used FROM key_checks ORDER BY kind, key_id;
