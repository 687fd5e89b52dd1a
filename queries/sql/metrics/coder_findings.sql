-- Drill-down: one coder's findings, pseudonymous claim keys only.
SELECT claim_key, service_date, review_id, auditor_id, review_date, code_type, submitted_code, audited_code,
       finding, error_category, dollar_impact
FROM finding_facts
WHERE in_scope(service_date, facility_id, payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND coder_id = $drill_coder
ORDER BY service_date DESC, claim_key, code_type, submitted_code NULLS LAST
LIMIT 5000;
