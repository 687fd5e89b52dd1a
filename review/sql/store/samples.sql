-- Every sample, newest first, without its frame, with review progress.
SELECT s.seq, s.sample_id, s.drawn_at, s.drawn_by, s.method, s.parameters, s.seed, s.generator, s.generator_version,
       s.frame_size, s.frame_sha256, s.strata, s.completed_at, s.completed_by,
       (SELECT count(*) FROM sample_claims AS c WHERE c.sample_id = s.sample_id AND NOT c.spare) AS claims,
       (SELECT count(*) FROM sample_claims AS c JOIN reviews AS r ON r.sample_id = c.sample_id AND r.claim_key = c.claim_key
         WHERE c.sample_id = s.sample_id AND NOT c.spare
           AND EXISTS (SELECT 1 FROM revisions AS v WHERE v.review_id = r.review_id AND v.status = 'completed')) AS reviewed
FROM samples AS s
ORDER BY s.seq DESC;
