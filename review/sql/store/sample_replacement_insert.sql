-- One drawn claim (or spare in use) replaced by a spare.
INSERT INTO sample_replacements (sample_id, replaced_key, spare_key, reason, replaced_by, replaced_at)
VALUES (?, ?, ?, ?, ?, ?);
