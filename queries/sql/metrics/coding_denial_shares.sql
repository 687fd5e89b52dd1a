-- The coding-related denial share with and without the broad reasons ($broad: CARC 16 missing information,
-- 50 medical necessity): denied claims with a coding-related denial, and those with one whose CARC is not
-- broad, out of all denied claims in scope.
SELECT count(DISTINCT claim_key)                                                        AS denied_claims,
       count(DISTINCT claim_key) FILTER (WHERE coding_related)                          AS coding_denied_claims,
       count(DISTINCT claim_key) FILTER (WHERE coding_related AND NOT list_contains($broad, carc)) AS specific_coding_denied_claims
FROM denial_facts
WHERE in_scope(service_date, facility_id, claim_payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND is_denial;
