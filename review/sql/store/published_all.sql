-- Every published finding, as verify-log compares it with the latest completed revision of its review.
SELECT review_id, claim_key, revision, finding_id, code_type, submitted_code, audited_code, finding, error_category,
       dollar_impact
FROM published_findings ORDER BY review_id, finding_id;
