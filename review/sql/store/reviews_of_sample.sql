-- A sample's opened reviews.
SELECT review_id, claim_key FROM reviews WHERE sample_id = ?;
