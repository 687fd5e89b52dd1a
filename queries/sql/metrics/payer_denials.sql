-- Denials by the paying payer of the remittance, coding-related vs other.
SELECT payer, count(*) AS denial_rows, count(DISTINCT claim_key) AS denied_claims,
       sum(denied_amount) AS denied_amount,
       coalesce(sum(denied_amount) FILTER (WHERE coding_related), 0) AS coding_denied_amount,
       sum(denied_amount) / sum(sum(denied_amount)) OVER () AS share
FROM denial_facts
WHERE in_scope(service_date, facility_id, claim_payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND is_denial
GROUP BY payer
ORDER BY denied_amount DESC, payer;
