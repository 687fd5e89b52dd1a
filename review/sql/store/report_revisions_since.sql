-- Revisions of a sample's reviews completed after a moment: what changed its results since a report version.
SELECT r.claim_key, v.revision, v.author, v.completed_at, v.reason
FROM revisions AS v JOIN reviews AS r USING (review_id)
WHERE r.sample_id = ? AND v.status = 'completed' AND v.completed_at > ?
ORDER BY v.completed_at, r.claim_key;
