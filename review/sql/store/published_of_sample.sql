-- The published findings of a sample's reviews (for its appraisal), in the order they were entered.
SELECT p.claim_key, p.finding, p.error_category, p.dollar_impact, p.final_after
FROM published_findings AS p JOIN reviews AS r USING (review_id)
WHERE r.sample_id = ?
ORDER BY p.rowid;
