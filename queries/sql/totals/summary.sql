-- The summary (metrics/summary.sql: the same columns, types and values) of any date range, from the totals
-- written at ingest (totals/build.sql) for the whole calendar months inside it and a scan of the days of the
-- months it covers only in part. A reader's claim_facts holds the reviewed claims combined with their final
-- reviewed findings (reviewed/overlay.sql), so the store's totals are corrected for them: minus what each
-- reviewed claim's store row adds, plus what its combined row adds; the edge days are read from claim_facts
-- itself. Every figure is a count or a decimal sum, so the parts add exactly.
-- The caller (queries.metrics.summary, totals_split) splits the range: whole months $months_from..$months_to
-- (a month is in scope exactly when its claims' days are, so in_scope reads the month in place of the service
-- date; none when $months_from > $months_to), and at most two edges, $head_from..$head_to and
-- $tail_from..$tail_to (NULL: no such edge), each its own simple range on service_date, so that the scan of
-- claim_facts (written in service-date order) reads only the row groups of those days.
-- The combined rows come first, so the columns keep claim_contributions' order (and its types, widened).
WITH whole_months AS (
    SELECT * EXCLUDE (service_date) FROM claim_contributions('reviewed_claim_rows')
    UNION ALL BY NAME
    SELECT * FROM claim_month_totals
    UNION ALL BY NAME
    SELECT service_month, facility_id, payer, coder_id, encounter_type, claim_flags,
           -COLUMNS(* EXCLUDE (service_date, service_month, facility_id, payer, coder_id, encounter_type, claim_flags))
    FROM claim_contributions('reviewed_claim_originals')
),
additive AS (
    SELECT * FROM whole_months
    WHERE in_scope(service_month, facility_id, payer, coder_id, encounter_type,
                   $months_from, $months_to, $facility, $payer, $coder, $encounter_type)
    UNION ALL BY NAME
    SELECT * EXCLUDE (service_date) FROM claim_contributions('claim_facts')
    WHERE $head_from IS NOT NULL
      AND in_scope(service_date, facility_id, payer, coder_id, encounter_type,
                   $head_from, $head_to, $facility, $payer, $coder, $encounter_type)
    UNION ALL BY NAME
    SELECT * EXCLUDE (service_date) FROM claim_contributions('claim_facts')
    WHERE $tail_from IS NOT NULL
      AND in_scope(service_date, facility_id, payer, coder_id, encounter_type,
                   $tail_from, $tail_to, $facility, $payer, $coder, $encounter_type)
)
SELECT
    summary_group($by, service_month, facility_id, payer, coder_id, encounter_type) AS grp,
    sum(COLUMNS(* EXCLUDE (service_month, facility_id, payer, coder_id, encounter_type, claim_flags))),
    CAST(sum(denied_amount) AS DOUBLE) / NULLIF(sum(billed_amount), 0) AS denied_dollar_rate,
    CAST(sum(billed_weight_sum) / NULLIF(sum(weighted_claims), 0) AS DOUBLE) AS case_mix_index
FROM additive
WHERE list_has_all(claim_flags, $claim_flags)
GROUP BY grp
ORDER BY grp;
