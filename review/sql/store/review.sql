-- A review of one sampled claim.
SELECT review_id, sample_id, claim_key, opened_by, opened_at FROM reviews WHERE review_id = ?;
