-- Drill-down: the denied claims behind one bar of denials_by.sql ($by, $value and, for a procedure, its
-- $code_type), pseudonymous claim keys only, largest denied dollars first, at most 5,000 rows.
SELECT f.claim_key, f.service_date, f.payer, f.coder_id, f.encounter_type, g.service_line,
       g.procedure_type AS code_type, g.procedure_code, g.drg,
       (SELECT string_agg(DISTINCT d.carc, ', ' ORDER BY d.carc) FROM denial_facts AS d
         WHERE d.claim_key = f.claim_key AND d.is_denial) AS carcs,
       f.coding_denied AS coding_related, f.denied_amount, f.billed_amount
FROM claim_facts AS f
JOIN claim_groups AS g USING (claim_key)
WHERE in_scope(f.service_date, f.facility_id, f.payer, f.coder_id, f.encounter_type,
               $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND f.denied
  AND (CASE $by WHEN 'drg' THEN g.drg WHEN 'procedure' THEN g.procedure_code ELSE g.service_line END) = $value
  AND ($code_type IS NULL OR g.procedure_type = $code_type)
ORDER BY f.denied_amount DESC, f.claim_key
LIMIT 5000;
