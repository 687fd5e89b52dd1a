-- Whether a sample still takes reviews (without its frame: read on every save), and its replaced claims.
SELECT s.sample_id, s.completed_at, s.voided_at, s.voided_by, s.void_reason,
       (SELECT r.spare_key FROM sample_replacements AS r WHERE r.sample_id = s.sample_id AND r.replaced_key = :claim_key) AS spare_key
FROM samples AS s WHERE s.sample_id = :sample_id;
