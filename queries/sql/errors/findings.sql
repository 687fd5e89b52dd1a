-- Drill-down: the findings behind one group of one level (pseudonymous claim keys only), errors first,
-- newest first, at most 5,000. Needs errors/family_rows.sql.
SELECT claim_key, service_date, coder_id, facility_id, payer, review_id, auditor_id, review_date, code_type,
       submitted_code, audited_code, finding, error_category, dollar_impact
FROM error_family_rows($level, $one_group, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
ORDER BY finding = 'agree', service_date DESC, claim_key, code_type, submitted_code NULLS LAST
LIMIT 5000;
