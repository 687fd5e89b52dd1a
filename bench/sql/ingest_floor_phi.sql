-- The PHI values of the claims file, as many as the ingest sealed ($sealed): one AES-GCM seal each.
SELECT field, value FROM (
    UNPIVOT floor_claims ON patient_mrn, patient_name, patient_dob, patient_zip, claim_id INTO NAME field VALUE value
)
WHERE value IS NOT NULL
LIMIT $sealed;
