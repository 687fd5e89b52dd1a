-- The sampling frame (docs/SAMPLING.md): the claims in scope of the filters, in frame order (service date, then
-- claim key), with the fields a stratum can be made of; with $claim_flags, only claims carrying every one of
-- them (queries.metrics.CLAIM_FLAGS: a DRG resting on one CC/MCC, an MCE edit, ...). With $exclude_audited, claims the store holds imported
-- findings for, and claims drawn into earlier samples (registered as excluded_claims), are left out. Reads the
-- store's own claim_facts (store.main), so reviews finished after the sample was drawn never change its frame.
SELECT claim_key, coder_id, facility_id, payer, encounter_type, CAST(billed_amount AS DOUBLE) AS billed_amount
FROM store.main.claim_facts
WHERE in_scope(service_date, facility_id, payer, coder_id, encounter_type,
               $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND list_has_all(claim_flags, $claim_flags)
  AND NOT ($exclude_audited AND (audited OR claim_key IN (SELECT claim_key FROM excluded_claims)))
ORDER BY service_date, claim_key;
