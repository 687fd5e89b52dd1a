-- What the worklist shows of one claim (pseudonymous: no PHI here), with its billed MS-DRG.
SELECT claim_key, service_date, encounter_type, CAST(billed_amount AS DOUBLE) AS billed_amount, coder_id, facility_id, payer,
       billed_drg
FROM store.main.claim_facts WHERE claim_key = $claim_key;
