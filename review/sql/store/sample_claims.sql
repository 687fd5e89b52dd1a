-- A sample's drawn claims and spares in selection order, with the state of their review.
SELECT c.selection, c.claim_key, c.frame_position, c.stratum, c.spare, r.review_id,
       (SELECT max(v.revision) FROM revisions AS v WHERE v.review_id = r.review_id) AS revision,
       (SELECT v.status FROM revisions AS v WHERE v.review_id = r.review_id ORDER BY v.revision DESC LIMIT 1) AS status
FROM sample_claims AS c
LEFT JOIN reviews AS r ON r.sample_id = c.sample_id AND r.claim_key = c.claim_key
WHERE c.sample_id = ?
ORDER BY c.selection;
