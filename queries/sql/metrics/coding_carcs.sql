-- Which CARCs count as coding-related (data/reference/carc.csv), with the denied claims and dollars of each in
-- scope (0 when none) and whether it is one of the broad reasons ($broad).
SELECT r.code AS carc, r.description, list_contains($broad, r.code) AS broad,
       count(DISTINCT d.claim_key) AS denied_claims, coalesce(sum(d.denied_amount), 0) AS denied_amount
FROM carc AS r
LEFT JOIN denial_facts AS d
  ON d.carc = r.code AND d.is_denial
 AND in_scope(d.service_date, d.facility_id, d.claim_payer, d.coder_id, d.encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
WHERE r.coding_related
GROUP BY r.code, r.description
ORDER BY try_cast(r.code AS INTEGER), r.code;
