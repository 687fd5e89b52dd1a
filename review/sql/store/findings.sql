-- The findings of one revision, in the order they were entered.
SELECT finding_id, position, code_type, submitted_code, audited_code, finding, error_category, dollar_impact
FROM findings WHERE review_id = ? AND revision = ? ORDER BY position;
