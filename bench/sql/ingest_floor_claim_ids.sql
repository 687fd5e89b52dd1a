-- The claim ids of the four files just read (floor_claims, floor_claim_codes, ...): one HMAC each at ingest.
SELECT DISTINCT claim_id FROM (
    SELECT claim_id FROM floor_claims UNION ALL SELECT claim_id FROM floor_claim_codes
    UNION ALL SELECT claim_id FROM floor_audit_findings UNION ALL SELECT claim_id FROM floor_denials
);
