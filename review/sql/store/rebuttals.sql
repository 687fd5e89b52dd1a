-- Rebuttals of findings with the claim rebuttal naming them, the finding (as now published) and its claim:
-- pending first, then newest first, the findings of one claim rebuttal together.
SELECT b.rebuttal_id, b.claim_rebuttal_id, b.review_id, b.finding_id, b.coder_id, b.rebutted_by, b.rebutted_at, b.comment,
       b.decision, b.decided_by, b.decided_at, b.decision_comment, r.sample_id, r.claim_key, c.regrouped_drg,
       f.code_type, f.submitted_code, f.audited_code, f.finding, f.error_category, f.dollar_impact
FROM rebuttals AS b
JOIN reviews AS r USING (review_id)
LEFT JOIN claim_rebuttals AS c USING (claim_rebuttal_id)
LEFT JOIN published_findings AS f ON f.review_id = b.review_id AND f.finding_id = b.finding_id
WHERE (:pending_only = 0 OR b.decision IS NULL)
ORDER BY b.decision IS NOT NULL, b.rebutted_at DESC, b.claim_rebuttal_id, b.rowid;
