-- Claims of this batch by pseudonym: whether any of its claims rows was accepted.
CREATE OR REPLACE TEMP TABLE claim_status AS
SELECT claim_key, bool_or(reason IS NULL) AS accepted_in_batch
FROM v_claims
WHERE claim_key IS NOT NULL
GROUP BY claim_key;
