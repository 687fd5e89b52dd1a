-- The headline counts, overall or by one dimension. Formulas: docs/METRICS.md.
-- Every headline rate is a ratio of two of these sums over the claims in scope: which two is said once, in
-- queries.metrics.RATES, which computes it. The two figures that are not rates of counts (denied dollars as
-- a share of billed, the case-mix index) are computed here; NULLIF makes a zero denominator NULL, never 0.
-- The denied-dollar share divides as DOUBLE, as DuckDB divides decimals (Spark would keep six decimal places).
-- $by picks the dimension from a fixed list; anything else is 'all'. Claim flags narrow the scope
-- ($claim_flags: every flag must hold).
SELECT
    CASE $by
        WHEN 'month' THEN strftime(service_month, '%Y-%m')
        WHEN 'coder' THEN coder_id
        WHEN 'facility' THEN facility_id
        WHEN 'payer' THEN payer
        WHEN 'encounter_type' THEN encounter_type
        ELSE 'all'
    END                                                       AS grp,
    count(*)                                                  AS claims,
    count(*) FILTER (WHERE audited)                           AS audited_claims,
    sum(findings)                                             AS findings,
    sum(findings_agree)                                       AS findings_agree,
    sum(drg_findings)                                         AS drg_findings,
    sum(drg_agree)                                            AS drg_agree,
    count(*) FILTER (WHERE audited AND all_agree)             AS clean_claims,
    sum(dx_codes)                                             AS dx_codes,
    sum(unspecified_dx)                                       AS unspecified_dx,
    sum(invalid_dx)                                           AS invalid_dx,
    sum(laterality_unspecified_dx)                            AS laterality_unspecified_dx,
    count(*) FILTER (WHERE denied)                            AS denied_claims,
    count(*) FILTER (WHERE coding_denied)                     AS coding_denied_claims,
    sum(denied_amount)                                        AS denied_amount,
    sum(billed_amount)                                        AS billed_amount,
    sum(appeals_overturned)                                   AS appeals_overturned,
    sum(appeals_upheld)                                       AS appeals_upheld,
    sum(appeals_overturned) + sum(appeals_upheld)             AS appeals_decided,
    sum(appeals_pending)                                      AS appeals_pending,
    count(*) FILTER (WHERE principal_dx_reviewed)             AS principal_dx_reviewed,
    count(*) FILTER (WHERE principal_dx_agree)                AS principal_dx_agree,
    sum(net_impact)                                           AS net_impact,
    sum(overpaid)                                             AS overpaid,
    sum(underpaid)                                            AS underpaid,
    count(*) FILTER (WHERE inpatient)                         AS inpatient_claims,
    count(*) FILTER (WHERE inpatient AND billed_drg IS NOT NULL) AS billed_drg_claims,
    count(*) FILTER (WHERE drg_mismatch)                      AS drg_mismatches,
    count(*) FILTER (WHERE drg_ungroupable)                   AS ungroupable_claims,
    count(*) FILTER (WHERE mce_edit)                          AS mce_edit_claims,
    count(*) FILTER (WHERE severity_split)                    AS severity_split_claims,
    count(*) FILTER (WHERE severity_split AND cc_mcc_rests)   AS cc_mcc_captured,
    count(*) FILTER (WHERE cc_mcc_rests)                      AS cc_mcc_claims,
    count(*) FILTER (WHERE single_cc_mcc)                     AS single_cc_mcc_claims,
    count(billed_weight)                                      AS weighted_claims,
    sum(billed_weight)                                        AS billed_weight_sum,
    CAST(sum(denied_amount) AS DOUBLE) / NULLIF(sum(billed_amount), 0) AS denied_dollar_rate,
    CAST(sum(billed_weight) / NULLIF(count(billed_weight), 0) AS DOUBLE) AS case_mix_index
FROM claim_facts
WHERE in_scope(service_date, facility_id, payer, coder_id, encounter_type,
               $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND list_has_all(claim_flags, $claim_flags)
GROUP BY grp
ORDER BY grp;
