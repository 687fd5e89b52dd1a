-- CC/MCC capture within DRG families split by severity, per family: grouped inpatient claims in the family,
-- those whose DRG rests on a CC or MCC (captured), and those whose DRG rests on a single one.
SELECT f.drg_family,
       min(regexp_replace(g.drg_title, ' (with|without) (MCC|CC|CC/MCC).*$', '')) AS family_title,
       count(*) AS claims,
       count(*) FILTER (WHERE f.cc_mcc_rests) AS cc_mcc_captured,
       count(*) FILTER (WHERE f.single_cc_mcc) AS single_cc_mcc_claims
FROM claim_facts AS f
JOIN claim_drg AS g USING (claim_key)
WHERE f.severity_split
  AND in_scope(f.service_date, f.facility_id, f.payer, f.coder_id, f.encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND list_has_all(f.claim_flags, $claim_flags)
GROUP BY f.drg_family
ORDER BY claims DESC, f.drg_family;
