-- One rebuttal.
SELECT rebuttal_id, review_id, finding_id, coder_id, rebutted_by, rebutted_at, comment, decision, decided_by, decided_at,
       decision_comment
FROM rebuttals WHERE rebuttal_id = ?;
