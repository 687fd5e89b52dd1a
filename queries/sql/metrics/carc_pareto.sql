-- Denied dollars by claim adjustment reason code (denials only: CO, OA, PI with an amount), largest first.
SELECT d.carc, coalesce(r.description, '(not in our CARC table)') AS description, coalesce(r.category, 'unknown') AS category,
       d.coding_related, count(*) AS denial_rows, count(DISTINCT d.claim_key) AS denied_claims,
       sum(d.denied_amount) AS denied_amount,
       sum(d.denied_amount) / sum(sum(d.denied_amount)) OVER () AS share,
       sum(sum(d.denied_amount)) OVER (ORDER BY sum(d.denied_amount) DESC, d.carc ROWS UNBOUNDED PRECEDING) / sum(sum(d.denied_amount)) OVER () AS cumulative_share
FROM (SELECT * FROM denial_facts WHERE in_scope(service_date, facility_id, claim_payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type) AND is_denial) AS d
LEFT JOIN carc AS r ON r.code = d.carc
GROUP BY d.carc, r.description, r.category, d.coding_related
ORDER BY denied_amount DESC, d.carc;
