-- Keep the SHA-256 of a sample as drawn, computed from the rows just stored.
UPDATE samples SET sample_sha256 = ? WHERE sample_id = ?;
