-- Billed DRG against the DRG the submitted codes group to, for inpatient claims whose two differ, by pair,
-- most frequent first, with the sum of the relative-weight differences (grouped minus billed) over the
-- claims whose two weights are both known; all_* repeat the totals over every pair, before the limit.
SELECT billed_drg, grouped_drg, count(*) AS claims,
       count(grouped_weight - billed_weight) AS weighted,
       CAST(sum(grouped_weight - billed_weight) AS DOUBLE) AS weight_difference,
       sum(count(*)) OVER () AS all_claims,
       sum(count(grouped_weight - billed_weight)) OVER () AS all_weighted,
       CAST(sum(sum(grouped_weight - billed_weight)) OVER () AS DOUBLE) AS all_weight_difference
FROM claim_facts
WHERE drg_mismatch
  AND in_scope(service_date, facility_id, payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND list_has_all(claim_flags, $claim_flags)
GROUP BY billed_drg, grouped_drg
ORDER BY claims DESC, billed_drg, grouped_drg
LIMIT $limit;
