-- The draw bench's floor: the frame's keys and sort and stratum columns read from the store, unordered.
SELECT claim_key, service_date, CAST(billed_amount AS DOUBLE) AS billed_amount
FROM store.main.claim_facts;
