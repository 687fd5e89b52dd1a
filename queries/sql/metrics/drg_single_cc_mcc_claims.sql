-- Claims whose DRG rests on a single CC or MCC (PEPPER's target): pseudonymous claim key, the DRGs, the one
-- secondary diagnosis of CC or MCC severity, and the patient's age (90+ for 90 or older: the store keeps 90)
-- and sex. Newest service date first.
SELECT f.claim_key, f.service_date, f.facility_id, f.coder_id, f.billed_drg, f.grouped_drg,
       coalesce(i.code_dotted, cc.code) AS cc_mcc_code, cc.severity,
       CASE WHEN c.patient_age >= 90 THEN '90+' ELSE CAST(c.patient_age AS VARCHAR) END AS age,
       c.patient_sex AS sex
FROM claim_facts AS f
JOIN claims AS c USING (claim_key)
JOIN claim_drg_cc AS cc USING (claim_key)
LEFT JOIN icd10cm AS i ON i.code = cc.code
WHERE f.single_cc_mcc
  AND in_scope(f.service_date, f.facility_id, f.payer, f.coder_id, f.encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND list_has_all(f.claim_flags, $claim_flags)
ORDER BY f.service_date DESC, f.claim_key
LIMIT $limit;
