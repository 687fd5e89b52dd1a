-- The coding manager's one decision on a pending claim rebuttal (each finding's: rebuttal_decide).
UPDATE claim_rebuttals SET decided_by = ?, decided_at = ?, decision_comment = ?, revision = ?, regrouped_drg = ?
WHERE claim_rebuttal_id = ? AND decided_at IS NULL;
