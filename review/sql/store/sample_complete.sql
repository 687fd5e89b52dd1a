-- Close a sample once every drawn claim is reviewed.
UPDATE samples SET completed_at = ?, completed_by = ? WHERE sample_id = ? AND completed_at IS NULL;
