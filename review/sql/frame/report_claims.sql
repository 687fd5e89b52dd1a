-- The sampled claims as the report lists them (pseudonymous: no PHI here): date of service and billed amount.
SELECT claim_key, service_date, CAST(billed_amount AS DOUBLE) AS billed_amount
FROM store.main.claim_facts WHERE claim_key IN (SELECT unnest($claim_keys));
