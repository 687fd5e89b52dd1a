-- A draft saved again.
UPDATE revisions SET author = ?, saved_at = ? WHERE review_id = ? AND revision = ? AND status = 'draft';
