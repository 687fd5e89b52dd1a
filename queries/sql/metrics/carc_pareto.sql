-- Denied dollars by claim adjustment reason code (denials only: CO, OA, PI with an amount), largest first.
-- Counted per code first and named after: the CARC table holds each code once (data/reference/carc.csv), so
-- this equals grouping the joined rows, without carrying the long descriptions through the distinct count.
WITH d AS (
    SELECT carc, coding_related, count(*) AS denial_rows, count(DISTINCT claim_key) AS denied_claims,
           sum(denied_amount) AS denied_amount
    FROM denial_facts
    WHERE in_scope(service_date, facility_id, claim_payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type) AND is_denial
    GROUP BY carc, coding_related
)
SELECT d.carc, coalesce(r.description, '(not in our CARC table)') AS description, coalesce(r.category, 'unknown') AS category,
       d.coding_related, d.denial_rows, d.denied_claims, d.denied_amount,
       d.denied_amount / sum(d.denied_amount) OVER () AS share,
       sum(d.denied_amount) OVER (ORDER BY d.denied_amount DESC, d.carc ROWS UNBOUNDED PRECEDING) / sum(d.denied_amount) OVER () AS cumulative_share
FROM d
LEFT JOIN carc AS r ON r.code = d.carc
ORDER BY d.denied_amount DESC, d.carc;
