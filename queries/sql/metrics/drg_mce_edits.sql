-- MCE edit rate by edit type: inpatient claims in scope with the edit, over all inpatient claims in scope
-- (docs/METRICS.md, "DRG validation"). A claim with several edits counts once under each.
WITH scoped AS (
    SELECT claim_key FROM claim_facts
    WHERE inpatient
      AND in_scope(service_date, facility_id, payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
      AND list_has_all(claim_flags, $claim_flags)
)
SELECT e.edit, min(e.edit_type) AS edit_type, count(DISTINCT e.claim_key) AS claims,
       (SELECT count(*) FROM scoped) AS inpatient_claims
FROM claim_mce_edits AS e
SEMI JOIN scoped AS s ON s.claim_key = e.claim_key
GROUP BY e.edit
ORDER BY claims DESC, e.edit;
