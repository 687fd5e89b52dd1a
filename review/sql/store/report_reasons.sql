-- The error categories of a sample's published error findings, per claim (the report's error reasons).
SELECT p.claim_key, p.finding, p.error_category, p.dollar_impact
FROM published_findings AS p JOIN reviews AS r USING (review_id)
WHERE r.sample_id = ? AND p.finding <> 'agree'
ORDER BY p.claim_key, p.code_type, p.finding_id;
