-- Lock a draft: a completed revision is never changed again.
UPDATE revisions SET status = 'completed', completed_at = ?, author = ? WHERE review_id = ? AND revision = ? AND status = 'draft';
