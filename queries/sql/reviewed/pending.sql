-- Preliminary reviewed findings in scope: completed but not final yet (rebuttal window open, or a rebuttal pending).
SELECT count(*) AS findings, count(*) FILTER (WHERE r.finding <> 'agree') AS errors, count(DISTINCT r.claim_key) AS claims
FROM reviewed_all AS r
JOIN store.main.claim_facts AS c USING (claim_key)
WHERE NOT r.final
  AND in_scope(c.service_date, c.facility_id, c.payer, c.coder_id, c.encounter_type,
               $date_from, $date_to, $facility, $payer, $coder, $encounter_type);
