-- What the worklist shows of one claim (pseudonymous: no PHI here).
SELECT claim_key, service_date, encounter_type, CAST(billed_amount AS DOUBLE) AS billed_amount, coder_id, facility_id, payer
FROM store.main.claim_facts WHERE claim_key = $claim_key;
