-- The headline counts, overall or by one dimension. Formulas: docs/METRICS.md.
-- Each count or sum is the sum of what every claim in scope adds to it (claim_contributions, claim_rules.sql,
-- defines each once). Every headline rate is a ratio of two of these sums: which two is said once, in
-- queries.metrics.RATES, which computes it. The two figures that are not rates of counts (denied dollars as
-- a share of billed, the case-mix index) are computed here; NULLIF makes a zero denominator NULL, never 0.
-- The denied-dollar share divides as DOUBLE, as DuckDB divides decimals (Spark would keep six decimal places).
-- $by picks the dimension (summary_group). Claim flags narrow the scope
-- ($claim_flags: every flag must hold). This is the scan of every claim; a scope of whole months is answered
-- from the totals written at ingest instead (totals/summary.sql, the same figures; queries.metrics.summary).
SELECT
    summary_group($by, service_month, facility_id, payer, coder_id, encounter_type) AS grp,
    sum(claims)                                                AS claims,
    sum(audited_claims)                                        AS audited_claims,
    sum(findings)                                              AS findings,
    sum(findings_agree)                                        AS findings_agree,
    sum(drg_findings)                                          AS drg_findings,
    sum(drg_agree)                                             AS drg_agree,
    sum(clean_claims)                                          AS clean_claims,
    sum(dx_codes)                                              AS dx_codes,
    sum(unspecified_dx)                                        AS unspecified_dx,
    sum(invalid_dx)                                            AS invalid_dx,
    sum(laterality_unspecified_dx)                             AS laterality_unspecified_dx,
    sum(denied_claims)                                         AS denied_claims,
    sum(coding_denied_claims)                                  AS coding_denied_claims,
    sum(denied_amount)                                         AS denied_amount,
    sum(billed_amount)                                         AS billed_amount,
    sum(appeals_overturned)                                    AS appeals_overturned,
    sum(appeals_upheld)                                        AS appeals_upheld,
    sum(appeals_decided)                                       AS appeals_decided,
    sum(appeals_pending)                                       AS appeals_pending,
    sum(principal_dx_reviewed)                                 AS principal_dx_reviewed,
    sum(principal_dx_agree)                                    AS principal_dx_agree,
    sum(net_impact)                                            AS net_impact,
    sum(overpaid)                                              AS overpaid,
    sum(underpaid)                                             AS underpaid,
    sum(inpatient_claims)                                      AS inpatient_claims,
    sum(billed_drg_claims)                                     AS billed_drg_claims,
    sum(drg_mismatches)                                        AS drg_mismatches,
    sum(ungroupable_claims)                                    AS ungroupable_claims,
    sum(mce_edit_claims)                                       AS mce_edit_claims,
    sum(severity_split_claims)                                 AS severity_split_claims,
    sum(cc_mcc_captured)                                       AS cc_mcc_captured,
    sum(cc_mcc_claims)                                         AS cc_mcc_claims,
    sum(single_cc_mcc_claims)                                  AS single_cc_mcc_claims,
    sum(weighted_claims)                                       AS weighted_claims,
    sum(billed_weight_sum)                                     AS billed_weight_sum,
    CAST(sum(denied_amount) AS DOUBLE) / NULLIF(sum(billed_amount), 0) AS denied_dollar_rate,
    CAST(sum(billed_weight_sum) / NULLIF(sum(weighted_claims), 0) AS DOUBLE) AS case_mix_index
FROM claim_contributions('claim_facts')
WHERE in_scope(service_date, facility_id, payer, coder_id, encounter_type,
               $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND list_has_all(claim_flags, $claim_flags)
GROUP BY grp
ORDER BY grp;
