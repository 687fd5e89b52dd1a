-- A coder's rebuttal of one finding.
INSERT INTO rebuttals (rebuttal_id, review_id, finding_id, coder_id, rebutted_by, rebutted_at, comment) VALUES (?, ?, ?, ?, ?, ?, ?);
