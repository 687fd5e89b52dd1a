-- The auditor's blind codes are saved: from now on the coder's codes are shown beside them.
UPDATE blind_reviews SET saved_by = ?, saved_at = ?, audited_drg = ?
WHERE review_id = ? AND revision = ? AND saved_at IS NULL;
