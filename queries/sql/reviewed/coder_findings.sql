-- A coder's own findings (the coder's page): every finding on the claims the store attributes to $coder_id,
-- imported and reviewed, final or preliminary, with what a rebuttal needs. Pseudonymous claim keys only.
SELECT c.claim_key, c.service_date, c.encounter_type, 'reviewed' AS source, r.review_id, r.finding_id, r.review_date,
       r.code_type, r.submitted_code, r.audited_code, r.finding, r.error_category, r.dollar_impact,
       CASE WHEN r.final THEN 'final' ELSE 'preliminary' END AS status, r.window_closes_at, r.rebuttal
FROM reviewed_all AS r
JOIN store.main.claim_facts AS c USING (claim_key)
WHERE c.coder_id = $coder_id
UNION ALL
SELECT f.claim_key, f.service_date, f.encounter_type, 'imported', f.review_id, NULL, f.review_date,
       f.code_type, f.submitted_code, f.audited_code, f.finding, f.error_category, f.dollar_impact,
       'final', NULL, NULL
FROM store.main.finding_facts AS f
WHERE f.coder_id = $coder_id
ORDER BY service_date DESC, claim_key, source DESC, code_type, submitted_code NULLS LAST
LIMIT 5000;
