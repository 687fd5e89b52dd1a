-- The per-claim rules written once, as TEMP macros of the connection that uses them: the writer defines them
-- before claim_facts.sql (ingest/writer.py), every reader before reviewed/overlay.sql (queries/reviewed.py),
-- so the store's imported findings and the final reviewed ones are rolled up by the same definition.

-- A denial: a CO, OA or PI adjustment with money denied. PR (patient responsibility) and CR are not.
CREATE OR REPLACE TEMP MACRO is_denial(group_code, denied_amount) AS
    group_code IN ('CO', 'OA', 'PI') AND denied_amount > 0;

-- A claim's findings rolled up, one row per claim that has any: code-level and DRG findings and how many
-- agree, whether all agree (DRG included), the net, overpaid and underpaid dollars, and the first-listed
-- diagnosis reviewed: the findings on the code submitted on ICD10CM_DX line 1, correct only if every such
-- finding agrees (the same all-must-agree rule as claim accuracy). `findings` and `codes` name the tables
-- (audit_findings rows; claim_codes rows). Every column adds up across two sets of findings of one claim
-- (counts and sums add, "all agree" and "reviewed" combine with AND and OR), which the reader's overlay
-- relies on.
CREATE OR REPLACE TEMP MACRO claim_findings_rollup(findings, codes) AS TABLE
WITH fx AS (
    SELECT claim_key,
        count(*) FILTER (WHERE code_type <> 'MSDRG')                          AS findings,
        count(*) FILTER (WHERE code_type <> 'MSDRG' AND finding = 'agree')   AS findings_agree,
        count(*) FILTER (WHERE code_type = 'MSDRG')                           AS drg_findings,
        count(*) FILTER (WHERE code_type = 'MSDRG' AND finding = 'agree')    AS drg_agree,
        bool_and(finding = 'agree')                                           AS all_agree,
        sum(dollar_impact)                                                    AS net_impact,
        coalesce(sum(dollar_impact) FILTER (WHERE dollar_impact < 0), 0)      AS overpaid,
        coalesce(sum(dollar_impact) FILTER (WHERE dollar_impact > 0), 0)      AS underpaid
    FROM query_table(findings)
    GROUP BY claim_key
),
principal AS (
    SELECT f.claim_key, bool_and(f.finding = 'agree') AS principal_dx_agree
    FROM query_table(findings) AS f
    JOIN query_table(codes) AS c
      ON c.claim_key = f.claim_key AND c.code_type = 'ICD10CM_DX' AND c.line = 1
     AND f.code_type = 'ICD10CM_DX' AND f.submitted_code = c.code
    GROUP BY f.claim_key
)
SELECT fx.*, p.claim_key IS NOT NULL AS principal_dx_reviewed, coalesce(p.principal_dx_agree, FALSE) AS principal_dx_agree
FROM fx LEFT JOIN principal AS p USING (claim_key);

-- The summary's group of a claim or of a totals row: its month ('YYYY-MM') or scope key by `dimension`, from a
-- fixed list; anything else is 'all'.
CREATE OR REPLACE TEMP MACRO summary_group(dimension, service_month, facility_id, payer, coder_id, encounter_type) AS
    CASE dimension
        WHEN 'month' THEN strftime(service_month, '%Y-%m')
        WHEN 'coder' THEN coder_id
        WHEN 'facility' THEN facility_id
        WHEN 'payer' THEN payer
        WHEN 'encounter_type' THEN encounter_type
        ELSE 'all'
    END;

-- What each claim adds to the summary (queries/sql/metrics/summary.sql), one row per row of `facts` (claim_facts
-- rows): the claim's scope keys, then every additive figure, named as the summary names its sum. Defined once
-- here for the summary's scan, the per-month totals written at ingest (totals/build.sql) and a reader's
-- correction of those totals for reviewed claims (totals/summary.sql): counts and decimal sums add, so a sum
-- over totals rows equals the sum over the claims they hold. billed_weight_sum stays NULL for a claim without
-- a billed weight, so a group without one sums to NULL, as it always has.
CREATE OR REPLACE TEMP MACRO claim_contributions(facts) AS TABLE
SELECT
    service_date, service_month, facility_id, payer, coder_id, encounter_type, claim_flags,
    1                                                         AS claims,
    CAST(audited AS INTEGER)                                  AS audited_claims,
    findings,
    findings_agree,
    drg_findings,
    drg_agree,
    CAST(audited AND all_agree AS INTEGER)                    AS clean_claims,
    dx_codes,
    unspecified_dx,
    invalid_dx,
    laterality_unspecified_dx,
    CAST(denied AS INTEGER)                                   AS denied_claims,
    CAST(coding_denied AS INTEGER)                            AS coding_denied_claims,
    denied_amount,
    billed_amount,
    appeals_overturned,
    appeals_upheld,
    appeals_overturned + appeals_upheld                       AS appeals_decided,
    appeals_pending,
    CAST(principal_dx_reviewed AS INTEGER)                    AS principal_dx_reviewed,
    CAST(principal_dx_agree AS INTEGER)                       AS principal_dx_agree,
    net_impact,
    overpaid,
    underpaid,
    CAST(inpatient AS INTEGER)                                AS inpatient_claims,
    CAST(inpatient AND billed_drg IS NOT NULL AS INTEGER)     AS billed_drg_claims,
    CAST(drg_mismatch AS INTEGER)                             AS drg_mismatches,
    CAST(drg_ungroupable AS INTEGER)                          AS ungroupable_claims,
    CAST(mce_edit AS INTEGER)                                 AS mce_edit_claims,
    CAST(severity_split AS INTEGER)                           AS severity_split_claims,
    CAST(severity_split AND cc_mcc_rests AS INTEGER)          AS cc_mcc_captured,
    CAST(cc_mcc_rests AS INTEGER)                             AS cc_mcc_claims,
    CAST(single_cc_mcc AS INTEGER)                            AS single_cc_mcc_claims,
    CAST(billed_weight IS NOT NULL AS INTEGER)                AS weighted_claims,
    billed_weight                                             AS billed_weight_sum
FROM query_table(facts);
