-- The counts behind the peer percentiles (docs/METRICS.md, "Peer percentiles"), one row per coder or per
-- facility: a template whose {peer_column} is coder_id or facility_id (queries.peers.PEER_KEYS, an allow-list),
-- grouped on directly (a CASE on a parameter measured slower at 10M code lines, bench/metrics.py). Each measure
-- is a ratio of two of these sums over the peer's claims in scope; which two, the volume threshold, the ranking
-- and the flags are said once, in queries.peers.MEASURES. Reads claim_facts only (with a reader's reviewed
-- findings, its overlay view). count_if rather than count(*) FILTER: the same counts, about a tenth less CPU
-- over 10M code lines (bench/metrics.py); it sums in HUGEINT, so each is cast back to BIGINT.
SELECT
    {peer_column}                                                     AS peer,
    count(*)                                                          AS claims,
    sum(findings)                                                     AS findings,
    sum(findings) - sum(findings_agree)                               AS code_errors,
    sum(dx_codes)                                                     AS dx_codes,
    sum(unspecified_dx)                                               AS unspecified_dx,
    CAST(count_if(cc_mcc_rests) AS BIGINT)                            AS cc_mcc_claims,
    CAST(count_if(single_cc_mcc) AS BIGINT)                           AS single_cc_mcc_claims,
    CAST(count_if(inpatient AND billed_drg IS NOT NULL) AS BIGINT)    AS billed_drg_claims,
    CAST(count_if(drg_mismatch) AS BIGINT)                            AS drg_mismatches,
    CAST(count_if(coding_denied) AS BIGINT)                           AS coding_denied_claims
FROM claim_facts
WHERE in_scope(service_date, facility_id, payer, coder_id, encounter_type,
               $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
GROUP BY peer
ORDER BY peer;
