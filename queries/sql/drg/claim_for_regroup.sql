-- One stored claim's encounter, as the grouper reads it, and its billed DRG: for regrouping it with an
-- auditor's codes (its submitted codes: claim_codes_for_regroup.sql).
SELECT discharge_date, patient_age, patient_sex, discharge_status, ms_drg
FROM claims
WHERE claim_key = $claim_key;
