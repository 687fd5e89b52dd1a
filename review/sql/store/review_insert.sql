-- Open a review of one sampled claim.
INSERT INTO reviews (review_id, sample_id, claim_key, opened_by, opened_at) VALUES (?, ?, ?, ?, ?);
