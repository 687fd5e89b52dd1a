-- The stored remittance date of each claim and payer this batch remits: a batch older than what is stored
-- for a claim and payer does not replace it (a remittance received again after its correction).
SELECT r.claim_key, r.payer, r.remit_date
FROM remittances AS r
JOIN remit_claim_keys AS k USING (claim_key)
