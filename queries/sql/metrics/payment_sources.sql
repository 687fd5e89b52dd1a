-- Where the paid amounts of the claims in scope come from: the claims file wins; an 835 fills a claim the
-- claims file left without paid and allowed amounts (paid_from_remittance, ingest/sql/x12/write.sql).
SELECT
    count(*) FILTER (WHERE c.paid_amount IS NOT NULL AND p.claim_key IS NULL) AS from_claims_file,
    count(*) FILTER (WHERE p.claim_key IS NOT NULL) AS from_835,
    count(*) FILTER (WHERE c.paid_amount IS NULL) AS not_known
FROM claims AS c
LEFT JOIN paid_from_remittance AS p USING (claim_key)
WHERE in_scope(c.service_date, c.facility_id, c.payer, c.coder_id, c.encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
