-- One drawn claim of a sample (or a spare).
INSERT INTO sample_claims (sample_id, selection, claim_key, frame_position, stratum, spare) VALUES (?, ?, ?, ?, ?, ?);
