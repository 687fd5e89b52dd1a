-- The review of a sampled claim, if one was opened.
SELECT review_id, sample_id, claim_key, opened_by, opened_at FROM reviews WHERE sample_id = ? AND claim_key = ?;
