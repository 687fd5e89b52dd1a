-- A coder's rebuttal of a claim (its findings: rebuttal_insert).
INSERT INTO claim_rebuttals (claim_rebuttal_id, review_id, coder_id, rebutted_by, rebutted_at) VALUES (?, ?, ?, ?, ?);
