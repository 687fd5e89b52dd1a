-- Whether a claim was drawn into a sample (as a sampled claim or a spare).
SELECT selection, spare FROM sample_claims WHERE sample_id = ? AND claim_key = ?;
