-- The writer's half of the 835 path, run after ingest/upsert.sql, inside the same transaction.
-- accepted_remittances: one row per claim and payer remitted by this batch (its standing adjudication, or the
-- reversal that left none); accepted_claims: the claims file's accepted rows.

-- A claim and payer remitted again: its denial rows from an earlier remittance (another trace number) go;
-- the rows of this remittance were just written by the upsert.
DELETE FROM denials AS d USING accepted_remittances AS r
WHERE d.claim_key = r.claim_key AND d.payer = r.payer AND d.trace_number IS NOT NULL
  AND d.trace_number IS DISTINCT FROM r.trace_number;

DELETE FROM remittances AS s USING accepted_remittances AS r
WHERE s.claim_key = r.claim_key AND s.payer = r.payer;
INSERT INTO remittances
SELECT claim_key, payer, payer_id, remit_date, trace_number, claim_status, charge_amount, paid_amount, allowed_amount
FROM accepted_remittances;

-- Which source wins: the claims file's paid_amount / allowed_amount when it gives either; otherwise the
-- 835's (CLP04 summed over payers, AMT*AU the largest), kept up to date as remittances change.
DELETE FROM paid_from_remittance
WHERE claim_key IN (SELECT claim_key FROM accepted_claims WHERE paid_amount IS NOT NULL OR allowed_amount IS NOT NULL);
CREATE OR REPLACE TEMP TABLE remittance_fill AS
WITH totals AS (
    SELECT claim_key, sum(paid_amount) AS paid_amount, max(allowed_amount) AS allowed_amount
    FROM remittances
    WHERE claim_status <> '22'
    GROUP BY claim_key
)
SELECT c.claim_key, t.paid_amount, t.allowed_amount
FROM claims AS c
LEFT JOIN totals AS t USING (claim_key)
WHERE (t.claim_key IS NOT NULL AND c.paid_amount IS NULL AND c.allowed_amount IS NULL)
   OR c.claim_key IN (SELECT claim_key FROM paid_from_remittance);
UPDATE claims SET paid_amount = f.paid_amount, allowed_amount = f.allowed_amount
FROM remittance_fill AS f WHERE claims.claim_key = f.claim_key;
DELETE FROM paid_from_remittance WHERE claim_key IN (SELECT claim_key FROM remittance_fill WHERE paid_amount IS NULL);
INSERT INTO paid_from_remittance
SELECT claim_key FROM remittance_fill
WHERE paid_amount IS NOT NULL AND claim_key NOT IN (SELECT claim_key FROM paid_from_remittance);
