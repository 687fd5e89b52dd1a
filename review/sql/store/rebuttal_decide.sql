-- The coding manager's decision on a pending rebuttal.
UPDATE rebuttals SET decision = ?, decided_by = ?, decided_at = ?, decision_comment = ? WHERE rebuttal_id = ? AND decision IS NULL;
