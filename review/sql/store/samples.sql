-- Every sample, newest first, without its frame, with review progress: its claims to review (the drawn claims,
-- each replaced one counted as the spare that replaced it) and how many of them have a completed review.
SELECT s.seq, s.sample_id, s.drawn_at, s.drawn_by, s.method, s.parameters, s.seed, s.generator, s.generator_version,
       s.frame_size, s.frame_sha256, s.strata, s.completed_at, s.completed_by,
       s.voided_at, s.voided_by, s.void_reason,
       (SELECT count(*) FROM sample_claims AS c WHERE c.sample_id = s.sample_id AND NOT c.spare) AS claims,
       (SELECT count(*) FROM sample_claims AS c JOIN reviews AS r ON r.sample_id = c.sample_id AND r.claim_key = c.claim_key
         WHERE c.sample_id = s.sample_id
           AND (NOT c.spare OR EXISTS (SELECT 1 FROM sample_replacements AS x
                                       WHERE x.sample_id = c.sample_id AND x.spare_key = c.claim_key))
           AND NOT EXISTS (SELECT 1 FROM sample_replacements AS x WHERE x.sample_id = c.sample_id AND x.replaced_key = c.claim_key)
           AND EXISTS (SELECT 1 FROM revisions AS v WHERE v.review_id = r.review_id AND v.status = 'completed')) AS reviewed
FROM samples AS s
ORDER BY s.seq DESC;
