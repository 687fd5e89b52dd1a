-- Claims and denials by what the claim is: $by = 'drg', 'procedure' (the principal procedure, with its code
-- type) or 'service_line' (claim_groups in claim_facts.sql; $by comes from a fixed list in metrics.py).
-- Claims without a value for $by (no billed inpatient DRG, no procedure) are left out. Largest denied dollars first.
WITH scoped AS (
    SELECT f.claim_key, f.denied, f.denied_amount, f.coding_denied, f.billed_amount,
           CASE $by WHEN 'drg' THEN g.drg WHEN 'procedure' THEN g.procedure_code ELSE g.service_line END AS grp,
           CASE $by WHEN 'procedure' THEN g.procedure_type END AS code_type
    FROM claim_facts AS f
    JOIN claim_groups AS g USING (claim_key)
    WHERE in_scope(f.service_date, f.facility_id, f.payer, f.coder_id, f.encounter_type,
                   $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
)
SELECT grp, code_type,
       count(*)                                        AS claims,
       count(*) FILTER (WHERE denied)                  AS denied_claims,
       count(*) FILTER (WHERE denied) / count(*)       AS denial_rate,
       count(*) FILTER (WHERE coding_denied)           AS coding_denied_claims,
       sum(denied_amount)                              AS denied_amount,
       sum(billed_amount)                              AS billed_amount,
       sum(denied_amount) / NULLIF(sum(billed_amount), 0) AS denied_dollar_rate
FROM scoped
WHERE grp IS NOT NULL
GROUP BY grp, code_type
ORDER BY denied_amount DESC, grp;
