-- Claims drawn (not spares) into samples drawn before the one with this seq: "already audited" for a new frame.
SELECT DISTINCT c.claim_key FROM sample_claims AS c JOIN samples AS s USING (sample_id)
WHERE s.seq < ? AND NOT c.spare;
