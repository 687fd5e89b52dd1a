-- Every revision of every review, with its review, in review and revision order (verify-log's review check).
SELECT r.review_id, r.sample_id, r.claim_key, r.opened_by, r.opened_at, v.revision, v.status, v.author, v.saved_at,
       v.completed_at, v.reason
FROM revisions AS v JOIN reviews AS r USING (review_id)
ORDER BY v.review_id, v.revision;
