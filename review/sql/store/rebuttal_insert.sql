-- A coder's rebuttal of one finding, within the claim rebuttal naming it.
INSERT INTO rebuttals (rebuttal_id, review_id, finding_id, coder_id, rebutted_by, rebutted_at, comment, claim_rebuttal_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?);
