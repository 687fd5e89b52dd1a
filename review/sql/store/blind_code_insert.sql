INSERT INTO blind_codes (review_id, revision, code_type, position, code, poa) VALUES (?, ?, ?, ?, ?, ?);
