-- Whether a claim is drawn into any audit sample (sampled or spare): an auditor's reveal scope.
SELECT EXISTS (SELECT 1 FROM sample_claims WHERE claim_key = ?);
