-- Why a code, finding or denial row cannot attach to its claim, per claim key of this batch; NULL when
-- the claim is known (accepted in this batch or already stored). Joined by every child file's checks.
CREATE OR REPLACE TEMP TABLE claim_problem AS
WITH batch AS (
    SELECT claim_key, bool_or(reason IS NULL) AS accepted
    FROM v_claims
    WHERE claim_key IS NOT NULL
    GROUP BY claim_key
)
SELECT m.claim_key,
    CASE
        WHEN coalesce(b.accepted, FALSE) OR s.claim_key IS NOT NULL THEN NULL
        WHEN b.claim_key IS NOT NULL THEN 'claim_id refers to a claims row that was rejected in this batch'
        ELSE 'unknown claim_id: it is neither in this batch''s claims file nor already stored'
    END AS reason
FROM claim_map AS m
LEFT JOIN batch AS b ON b.claim_key = m.claim_key
LEFT JOIN (SELECT DISTINCT claim_key FROM claims) AS s ON s.claim_key = m.claim_key;
