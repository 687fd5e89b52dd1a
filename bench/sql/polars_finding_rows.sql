-- The polars baseline's rows for errors by family: every code-level finding with its claim's scope columns, the
-- ICD-10-CM chapter and block of the code it counts under, and its claim's MS-DRG grouping (grouped: the claim
-- has a claim_drg row) (docs/METRICS.md, "Where errors concentrate").
SELECT f.claim_key, f.code_type, coalesce(f.submitted_code, f.audited_code) AS family_code, f.finding, f.error_category,
       CAST(f.dollar_impact AS DOUBLE) AS dollar_impact, c.service_date, c.payer, c.facility_id, i.chapter, i.block,
       g.claim_key IS NOT NULL AS grouped, g.drg_family, g.grouped_mdc
FROM audit_findings AS f
JOIN claims AS c USING (claim_key)
LEFT JOIN icd10cm AS i ON i.code = coalesce(f.submitted_code, f.audited_code)
LEFT JOIN claim_drg AS g ON g.claim_key = f.claim_key
WHERE f.code_type <> 'MSDRG';
