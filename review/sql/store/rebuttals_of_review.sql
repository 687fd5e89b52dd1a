-- The rebuttals of one review, oldest first.
SELECT rebuttal_id, review_id, finding_id, coder_id, rebutted_by, rebutted_at, comment, decision, decided_by, decided_at,
       decision_comment
FROM rebuttals WHERE review_id = ? ORDER BY rebutted_at, rebuttal_id;
