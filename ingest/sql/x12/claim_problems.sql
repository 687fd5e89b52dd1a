-- Why an 835 claim (remit_claim_keys, registered by ingest/remittance_stage.py) cannot attach to a claim, as
-- in the CSV path (ingest/sql/ingest/claim_problem.sql); NULL when the claim is accepted in this batch or stored.
SELECT k.claim_key,
    CASE
        WHEN coalesce(b.accepted, FALSE) OR s.claim_key IS NOT NULL THEN NULL
        WHEN b.claim_key IS NOT NULL THEN 'claim_id (CLP01) refers to a claims row that was rejected in this batch'
        ELSE 'unknown claim_id (CLP01): it is neither in this batch''s claims file nor already stored'
    END AS reason
FROM remit_claim_keys AS k
LEFT JOIN (SELECT claim_key, bool_or(reason IS NULL) AS accepted FROM v_claims WHERE claim_key IS NOT NULL GROUP BY claim_key) AS b
    ON b.claim_key = k.claim_key
LEFT JOIN (SELECT DISTINCT claim_key FROM claims) AS s ON s.claim_key = k.claim_key
