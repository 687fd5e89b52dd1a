-- The summary (metrics/summary.sql: the same columns, types and values) of a scope of whole months, from the
-- totals written at ingest (totals/build.sql) instead of every claim. A reader's claim_facts holds the reviewed
-- claims combined with their final reviewed findings (reviewed/overlay.sql), so the store's totals are
-- corrected for them: minus what each reviewed claim's store row adds, plus what its combined row adds. Every
-- figure is a count or a decimal sum, so the correction is exact. Scope: whole months only (the caller,
-- queries.metrics.summary, decides), so a month is in scope exactly when its claims' days are, and in_scope
-- reads the month in place of the service date.
-- The combined rows come first, so the columns keep claim_contributions' order (and its types, widened).
WITH additive AS (
    SELECT * EXCLUDE (service_date) FROM claim_contributions('reviewed_claim_rows')
    UNION ALL BY NAME
    SELECT * FROM claim_month_totals
    UNION ALL BY NAME
    SELECT service_month, facility_id, payer, coder_id, encounter_type, claim_flags,
           -COLUMNS(* EXCLUDE (service_date, service_month, facility_id, payer, coder_id, encounter_type, claim_flags))
    FROM claim_contributions('reviewed_claim_originals')
)
SELECT
    summary_group($by, service_month, facility_id, payer, coder_id, encounter_type) AS grp,
    sum(COLUMNS(* EXCLUDE (service_month, facility_id, payer, coder_id, encounter_type, claim_flags))),
    CAST(sum(denied_amount) AS DOUBLE) / NULLIF(sum(billed_amount), 0) AS denied_dollar_rate,
    CAST(sum(billed_weight_sum) / NULLIF(sum(weighted_claims), 0) AS DOUBLE) AS case_mix_index
FROM additive
WHERE in_scope(service_month, facility_id, payer, coder_id, encounter_type,
               $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND list_has_all(claim_flags, $claim_flags)
GROUP BY grp
ORDER BY grp;
