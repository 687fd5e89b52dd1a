-- One claim rebuttal.
SELECT claim_rebuttal_id, review_id, coder_id, rebutted_by, rebutted_at, decided_by, decided_at, decision_comment, revision,
       regrouped_drg
FROM claim_rebuttals WHERE claim_rebuttal_id = ?;
