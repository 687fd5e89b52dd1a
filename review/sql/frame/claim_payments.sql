-- What was paid on each of the claims named in $claim_keys (a list), for their overpayment and a sample's
-- dollars (review/money.py): service date, paid amount (NULL when not known) and whether the claim is
-- DRG-paid (inpatient with a billed MS-DRG: paid by its DRG, so its dollar impact is the DRG's). Claims are
-- stored in claim_key order per ingest (ingest/sql/ingest/upsert.sql), so this reads a few row groups, not 2M rows.
SELECT claim_key, service_date, paid_amount, encounter_type = 'inpatient' AND ms_drg IS NOT NULL AS drg_paid
FROM store.main.claims
WHERE claim_key IN (SELECT unnest($claim_keys));  -- a join: its key range skips the claims table's other row groups
