-- Every distinct claim_id of the batch, from all four files, for pseudonymisation.
SELECT DISTINCT claim_id FROM (
    SELECT trim(claim_id) AS claim_id FROM raw_claims
    UNION ALL SELECT trim(claim_id) FROM raw_claim_codes
    UNION ALL SELECT trim(claim_id) FROM raw_audit_findings
    UNION ALL SELECT trim(claim_id) FROM raw_denials
) WHERE claim_id <> ''
