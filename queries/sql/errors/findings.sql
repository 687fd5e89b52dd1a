-- Drill-down: the findings behind one group of one level (pseudonymous claim keys only), errors first,
-- newest first, at most 5,000. Needs errors/family_rows.sql.
SELECT claim_key, service_date, coder_id, facility_id, payer, review_id, auditor_id, review_date, code_type,
       submitted_code, audited_code, finding, error_category, dollar_impact
FROM (
    SELECT k.*, error_family_group($level, k.family_key, k.cpt_key, i.chapter, i.block) AS grp
    FROM error_family_keyed($level, $date_from, $date_to, $facility, $payer, $coder, $encounter_type) AS k
    LEFT JOIN icd10cm AS i ON $level IN ('chapter', 'block') AND i.code = k.family_key
)
WHERE grp = $one_group
ORDER BY finding = 'agree', service_date DESC, claim_key, code_type, submitted_code NULLS LAST
LIMIT 5000;
