-- One revision with the review it belongs to: what its SHA-256 covers besides its findings (review/integrity.py).
SELECT r.review_id, r.sample_id, r.claim_key, r.opened_by, r.opened_at, v.revision, v.status, v.author, v.saved_at,
       v.completed_at, v.reason
FROM revisions AS v JOIN reviews AS r USING (review_id)
WHERE v.review_id = ? AND v.revision = ?;
