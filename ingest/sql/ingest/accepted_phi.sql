-- The PHI of every accepted claim, to be sealed into the vault.
SELECT claim_key, claim_id, patient_mrn, patient_name, patient_dob, patient_zip FROM v_claims WHERE reason IS NULL
