-- Denials by remark code (RARC): every remark code of a denial (remark_codes from an 835, else the rarc of
-- denials.csv) counts the denial once; denials without one are left out. Largest denied dollars first.
WITH scoped AS (
    SELECT * FROM denial_facts
    WHERE in_scope(service_date, facility_id, claim_payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
      AND is_denial
),
remarks AS (
    SELECT DISTINCT claim_key, payer, remit_date, group_code, carc, denied_amount, trace_number, rowid_, unnest(codes) AS rarc
    FROM (SELECT *, row_number() OVER () AS rowid_,
                 coalesce(string_split(remark_codes, ' '), CASE WHEN rarc IS NOT NULL THEN [rarc] END) AS codes
          FROM scoped)
)
SELECT m.rarc, coalesce(r.description, '(not in our RARC table)') AS description,
       count(*) AS denial_rows, count(DISTINCT m.claim_key) AS denied_claims, sum(m.denied_amount) AS denied_amount,
       sum(m.denied_amount) / (SELECT sum(denied_amount) FROM scoped) AS share_of_denied_dollars
FROM remarks AS m
LEFT JOIN rarc AS r ON r.code = m.rarc
GROUP BY m.rarc, r.description
ORDER BY denied_amount DESC, m.rarc;
