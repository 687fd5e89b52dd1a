-- Drill-down: each denial of the given claims ($claim_keys, pseudonymous) with the remittance it came from
-- (payer, remittance date, trace number; no trace number: denials.csv) and its reason and remark codes, the
-- remark codes' descriptions in the order of the codes.
SELECT d.claim_key, d.payer, d.remit_date, coalesce(d.trace_number, '(denials.csv)') AS trace_number,
       d.group_code, d.carc, coalesce(c.description, '(not in our CARC table)') AS carc_description,
       coalesce(d.remark_codes, d.rarc) AS remark_codes,
       (SELECT string_agg(coalesce(r.description, '(not in our RARC table)'), '; ' ORDER BY u.position)
        FROM (SELECT unnest(codes) AS code, generate_subscripts(codes, 1) AS position
              FROM (SELECT coalesce(string_split(d.remark_codes, ' '), CASE WHEN d.rarc IS NOT NULL THEN [d.rarc] END) AS codes)) AS u
        LEFT JOIN rarc AS r ON r.code = u.code) AS remark_descriptions,
       d.denied_amount
FROM denial_facts AS d
LEFT JOIN carc AS c ON c.code = d.carc
WHERE d.is_denial AND list_contains($claim_keys, d.claim_key)
ORDER BY d.claim_key, d.remit_date, d.denied_amount DESC
