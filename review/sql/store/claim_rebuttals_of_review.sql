-- The claim rebuttals of one review, oldest first.
SELECT claim_rebuttal_id, review_id, coder_id, rebutted_by, rebutted_at, decided_by, decided_at, decision_comment, revision,
       regrouped_drg
FROM claim_rebuttals WHERE review_id = ? ORDER BY rebutted_at, claim_rebuttal_id;
