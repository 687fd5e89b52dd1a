-- The headline metrics, overall or by one dimension. Formulas: docs/METRICS.md.
-- Every metric is a ratio of sums of claim_facts columns over the claims in scope; NULLIF makes a
-- zero denominator NULL, never 0. $by picks the dimension from a fixed list; anything else is 'all'.
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
    sum(findings_agree) / NULLIF(sum(findings), 0)                                   AS code_accuracy,
    count(*) FILTER (WHERE audited AND all_agree) / NULLIF(count(*) FILTER (WHERE audited), 0) AS claim_accuracy,
    sum(drg_agree) / NULLIF(sum(drg_findings), 0)                                    AS drg_accuracy,
    sum(unspecified_dx) / NULLIF(sum(dx_codes), 0)                                   AS unspecified_rate,
    sum(invalid_dx) / NULLIF(sum(dx_codes), 0)                                       AS invalid_code_rate,
    sum(laterality_unspecified_dx) / NULLIF(sum(dx_codes), 0)                        AS laterality_unspecified_rate,
    count(*) FILTER (WHERE denied) / NULLIF(count(*), 0)                             AS denial_rate,
    sum(denied_amount) / NULLIF(sum(billed_amount), 0)                               AS denied_dollar_rate,
    count(*) FILTER (WHERE coding_denied) / NULLIF(count(*) FILTER (WHERE denied), 0) AS coding_denial_share,
    sum(appeals_overturned) / NULLIF(sum(appeals_overturned) + sum(appeals_upheld), 0) AS appeal_overturn_rate,
    count(*) FILTER (WHERE principal_dx_agree) / NULLIF(count(*) FILTER (WHERE principal_dx_reviewed), 0) AS principal_dx_accuracy,
    count(*) FILTER (WHERE drg_mismatch) / NULLIF(count(*) FILTER (WHERE inpatient AND billed_drg IS NOT NULL), 0) AS drg_mismatch_rate,
    count(*) FILTER (WHERE drg_ungroupable) / NULLIF(count(*) FILTER (WHERE inpatient), 0)          AS ungroupable_rate,
    count(*) FILTER (WHERE mce_edit) / NULLIF(count(*) FILTER (WHERE inpatient), 0)                 AS mce_edit_rate,
    count(*) FILTER (WHERE severity_split AND cc_mcc_rests) / NULLIF(count(*) FILTER (WHERE severity_split), 0) AS cc_mcc_capture_rate,
    count(*) FILTER (WHERE single_cc_mcc) / NULLIF(count(*) FILTER (WHERE cc_mcc_rests), 0)         AS single_cc_mcc_share,
    CAST(sum(billed_weight) / NULLIF(count(billed_weight), 0) AS DOUBLE)                           AS case_mix_index
FROM claim_facts
WHERE in_scope(service_date, facility_id, payer, coder_id, encounter_type,
               $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND list_has_all(claim_flags, $claim_flags)
GROUP BY grp
ORDER BY grp;
