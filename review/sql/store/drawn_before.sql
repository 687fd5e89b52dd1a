-- "Already audited" for a new frame: the claims to review of the samples drawn before the one with draw number
-- :seq, as they stood at :at (the new sample's draw time): a sample voided before then counts for nothing, and a
-- claim replaced before then counts as the spare that replaced it (an unused spare never counts).
SELECT DISTINCT c.claim_key FROM sample_claims AS c JOIN samples AS s USING (sample_id)
WHERE s.seq < :seq
  AND (s.voided_at IS NULL OR s.voided_at >= :at)
  AND (NOT c.spare OR EXISTS (SELECT 1 FROM sample_replacements AS r
                              WHERE r.sample_id = c.sample_id AND r.spare_key = c.claim_key AND r.replaced_at < :at))
  AND NOT EXISTS (SELECT 1 FROM sample_replacements AS r
                  WHERE r.sample_id = c.sample_id AND r.replaced_key = c.claim_key AND r.replaced_at < :at);
