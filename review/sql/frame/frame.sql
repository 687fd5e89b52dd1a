-- The sampling frame (docs/SAMPLING.md): the claims in scope of the filters, with the fields a stratum can be made
-- of ($strata_by names the column a stratum's value comes from; none: NULL; the dollar amounts only with
-- $with_amounts, for a stratified design) and the service date the frame is ordered by (service date, then claim
-- key: review/frame_keys.py orders the rows this query gives, unordered, faster than a sort here); with $claim_flags, only claims carrying every one of them (queries.metrics.CLAIM_FLAGS:
-- a DRG resting on one CC/MCC, an MCE edit, ...). With $exclude_audited, claims the store holds imported
-- findings for, and claims drawn into earlier samples (registered as excluded_claims), are left out. Reads the
-- store's own claim_facts (store.main), so reviews finished after the sample was drawn never change its frame.
SELECT claim_key, service_date,
       CASE $strata_by WHEN 'coder' THEN coder_id WHEN 'facility' THEN facility_id WHEN 'payer' THEN payer
                       WHEN 'encounter_type' THEN encounter_type END AS stratum_value,
       CASE WHEN $with_amounts THEN CAST(billed_amount AS DOUBLE) END AS billed_amount,
       CASE WHEN $with_amounts THEN CAST(paid_amount AS DOUBLE) END AS paid_amount
FROM store.main.claim_facts
WHERE in_scope(service_date, facility_id, payer, coder_id, encounter_type,
               $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND list_has_all(claim_flags, $claim_flags)
  AND NOT ($exclude_audited AND (audited OR claim_key IN (SELECT claim_key FROM excluded_claims)));
