-- One row per claim with every per-claim count the metrics need. Each metric is a ratio of sums of
-- these columns over the claims in scope, so the summary is exact, not an approximation
-- (tests/queries/test_claim_facts.py recomputes every metric from the detail tables).
-- Needs the macros of claim_rules.sql (the findings rollup and the denial rule, shared with the readers).
CREATE OR REPLACE TABLE claim_facts AS
WITH dx AS (
    SELECT c.claim_key,
        count(*)                                                   AS dx_codes,
        count(*) FILTER (WHERE i.unspecified)                      AS unspecified_dx,
        count(*) FILTER (WHERE NOT coalesce(i.billable, FALSE))    AS invalid_dx,
        count(*) FILTER (WHERE i.laterality_unspecified)           AS laterality_unspecified_dx
    FROM claim_codes AS c
    LEFT JOIN icd10cm AS i ON i.code = c.code
    WHERE c.code_type = 'ICD10CM_DX'
    GROUP BY c.claim_key
),
fx AS (
    SELECT * FROM claim_findings_rollup('audit_findings', 'claim_codes')   -- claim_rules.sql
),
dn AS (
    SELECT d.claim_key,
        count(*)                                                       AS denial_rows,
        sum(d.denied_amount)                                           AS denied_amount,
        bool_or(coalesce(r.coding_related, FALSE))                     AS coding_denied,
        count(*) FILTER (WHERE d.appeal_status = 'overturned')         AS appeals_overturned,
        count(*) FILTER (WHERE d.appeal_status = 'upheld')             AS appeals_upheld,
        count(*) FILTER (WHERE d.appeal_status = 'pending')            AS appeals_pending
    FROM denials AS d
    LEFT JOIN carc AS r ON r.code = d.carc
    WHERE is_denial(d.group_code, d.denied_amount)   -- claim_rules.sql
    GROUP BY d.claim_key
),
drg AS (
    -- DRG validation of inpatient claims (docs/METRICS.md, "DRG validation"): the billed DRG, the grouper's
    -- result (queries/drg/grouping.py) and the relative weights of both DRGs in the discharge's fiscal year.
    SELECT c.claim_key, c.ms_drg AS billed_drg, g.grouped_drg, g.drg_family,
        g.ungroupable_reason IS NOT NULL                                    AS drg_ungroupable,
        c.ms_drg IS NOT NULL AND g.grouped_drg IS NOT NULL AND c.ms_drg <> g.grouped_drg AS drg_mismatch,
        e.claim_key IS NOT NULL                                             AS mce_edit,
        g.severity_split,
        g.cc_mcc_affecting > 0                                              AS cc_mcc_rests,
        g.cc_mcc_affecting > 0 AND g.cc_mcc_sdx = 1                         AS single_cc_mcc,
        wb.weight AS billed_weight, wg.weight AS grouped_weight
    FROM claims AS c
    JOIN claim_drg AS g USING (claim_key)
    LEFT JOIN (SELECT DISTINCT claim_key FROM claim_mce_edits) AS e USING (claim_key)
    LEFT JOIN drg_weights AS wb ON wb.drg = c.ms_drg AND wb.fiscal_year = g.fiscal_year
    LEFT JOIN drg_weights AS wg ON wg.drg = g.grouped_drg AND wg.fiscal_year = g.fiscal_year
    WHERE c.encounter_type = 'inpatient'
)
SELECT
    c.claim_key, c.facility_id, c.payer, c.coder_id, c.encounter_type, c.service_date,
    CAST(date_trunc('month', c.service_date) AS DATE)          AS service_month,
    c.billed_amount,
    c.paid_amount,
    c.allowed_amount,
    coalesce(dx.dx_codes, 0)                                   AS dx_codes,
    coalesce(dx.unspecified_dx, 0)                             AS unspecified_dx,
    coalesce(dx.invalid_dx, 0)                                 AS invalid_dx,
    coalesce(dx.laterality_unspecified_dx, 0)                  AS laterality_unspecified_dx,
    coalesce(fx.findings, 0)                                   AS findings,
    coalesce(fx.findings_agree, 0)                             AS findings_agree,
    coalesce(fx.drg_findings, 0)                               AS drg_findings,
    coalesce(fx.drg_agree, 0)                                  AS drg_agree,
    fx.claim_key IS NOT NULL                                   AS audited,
    coalesce(fx.all_agree, FALSE)                              AS all_agree,
    coalesce(fx.net_impact, 0)                                 AS net_impact,
    coalesce(fx.overpaid, 0)                                   AS overpaid,
    coalesce(fx.underpaid, 0)                                  AS underpaid,
    coalesce(fx.principal_dx_reviewed, FALSE)                  AS principal_dx_reviewed,
    coalesce(fx.principal_dx_agree, FALSE)                     AS principal_dx_agree,
    dn.claim_key IS NOT NULL                                   AS denied,
    coalesce(dn.denial_rows, 0)                                AS denial_rows,
    coalesce(dn.denied_amount, 0)                              AS denied_amount,
    coalesce(dn.coding_denied, FALSE)                          AS coding_denied,
    coalesce(dn.appeals_overturned, 0)                         AS appeals_overturned,
    coalesce(dn.appeals_upheld, 0)                             AS appeals_upheld,
    coalesce(dn.appeals_pending, 0)                            AS appeals_pending,
    c.encounter_type = 'inpatient'                             AS inpatient,
    drg.billed_drg,
    drg.grouped_drg,
    drg.drg_family,
    coalesce(drg.drg_ungroupable, FALSE)                       AS drg_ungroupable,
    coalesce(drg.drg_mismatch, FALSE)                          AS drg_mismatch,
    coalesce(drg.mce_edit, FALSE)                              AS mce_edit,
    coalesce(drg.severity_split, FALSE)                        AS severity_split,
    coalesce(drg.cc_mcc_rests, FALSE)                          AS cc_mcc_rests,
    coalesce(drg.single_cc_mcc, FALSE)                         AS single_cc_mcc,
    drg.billed_weight,
    drg.grouped_weight,
    -- Claim-level flags a sampling frame or stratum can target (queries.metrics.CLAIM_FLAGS).
    list_filter([CASE WHEN drg.drg_mismatch THEN 'drg_mismatch' END, CASE WHEN drg.drg_ungroupable THEN 'drg_ungroupable' END,
                 CASE WHEN drg.mce_edit THEN 'mce_edit' END, CASE WHEN drg.single_cc_mcc THEN 'single_cc_mcc' END],
                lambda flag: flag IS NOT NULL)                 AS claim_flags
FROM claims AS c
LEFT JOIN dx ON dx.claim_key = c.claim_key
LEFT JOIN fx ON fx.claim_key = c.claim_key
LEFT JOIN dn ON dn.claim_key = c.claim_key
LEFT JOIN drg ON drg.claim_key = c.claim_key
ORDER BY c.service_date, c.facility_id;

-- Detail rows with their claim's filter dimensions, so record-level metric queries filter without a join.
CREATE OR REPLACE TABLE dx_facts AS
SELECT f.claim_key, f.service_date, f.facility_id, f.payer, f.coder_id, f.encounter_type,
       c.line, c.code, i.code IS NOT NULL AND i.billable AS billable,
       coalesce(i.unspecified, FALSE) AS unspecified, coalesce(i.laterality_unspecified, FALSE) AS laterality_unspecified,
       i.category, i.block, i.chapter
FROM claim_codes AS c
JOIN claim_facts AS f USING (claim_key)
LEFT JOIN icd10cm AS i ON i.code = c.code
WHERE c.code_type = 'ICD10CM_DX'
ORDER BY f.service_date;

CREATE OR REPLACE TABLE finding_facts AS
SELECT f.claim_key, f.service_date, f.service_month, f.facility_id, f.payer, f.coder_id, f.encounter_type,
       a.review_id, a.auditor_id, a.review_date, a.code_type, a.submitted_code, a.audited_code,
       a.finding, a.error_category, a.dollar_impact
FROM audit_findings AS a
JOIN claim_facts AS f USING (claim_key)
ORDER BY f.service_date;

CREATE OR REPLACE TABLE denial_facts AS
SELECT f.claim_key, f.service_date, f.service_month, f.facility_id, f.payer AS claim_payer, f.coder_id, f.encounter_type,
       d.payer, d.remit_date, d.group_code, d.carc, d.rarc, d.denied_amount, d.appeal_status, d.trace_number, d.remark_codes,
       is_denial(d.group_code, d.denied_amount) AS is_denial,
       coalesce(r.coding_related, FALSE) AS coding_related
FROM denials AS d
JOIN claim_facts AS f USING (claim_key)
LEFT JOIN carc AS r ON r.code = d.carc
ORDER BY f.service_date;

-- What a claim is, for the denial breakdowns (docs/METRICS.md, "Denials by DRG, procedure and service line"):
-- its principal procedure (the procedure row with the lowest line; ties: ICD-10-PCS, then CPT, then HCPCS,
-- then code), its service line (encounter type and that procedure's family) and its DRG: the billed MS-DRG
-- (`claims.ms_drg`) of an inpatient claim, audited or not.
CREATE OR REPLACE TABLE claim_groups AS
WITH procedures AS (
    SELECT claim_key, code_type, code,
           row_number() OVER (PARTITION BY claim_key ORDER BY line,
                              CASE code_type WHEN 'ICD10PCS' THEN 1 WHEN 'CPT' THEN 2 ELSE 3 END, code) AS rank
    FROM claim_codes
    WHERE code_type IN ('ICD10PCS', 'CPT', 'HCPCS')
),
drg AS (
    SELECT claim_key, ms_drg AS drg
    FROM claims
    WHERE encounter_type = 'inpatient' AND ms_drg IS NOT NULL
),
family AS (
    SELECT f.claim_key, f.encounter_type, p.code_type AS procedure_type, p.code AS procedure_code, d.drg,
           CASE
               WHEN p.code IS NULL THEN 'no procedure'
               WHEN p.code_type = 'ICD10PCS' THEN CASE WHEN left(p.code, 1) = '0' THEN 'surgical' ELSE 'medical' END
               WHEN p.code_type = 'HCPCS' THEN 'HCPCS supplies and services'
               WHEN try_cast(p.code AS INTEGER) IS NULL THEN 'other'
               WHEN try_cast(p.code AS INTEGER) BETWEEN 100 AND 1999 THEN 'anesthesia'
               WHEN try_cast(p.code AS INTEGER) BETWEEN 10004 AND 69990 THEN 'surgery'
               WHEN try_cast(p.code AS INTEGER) BETWEEN 70010 AND 79999 THEN 'radiology'
               WHEN try_cast(p.code AS INTEGER) BETWEEN 80047 AND 89398 THEN 'laboratory'
               WHEN try_cast(p.code AS INTEGER) BETWEEN 99202 AND 99499 THEN 'evaluation and management'
               WHEN try_cast(p.code AS INTEGER) BETWEEN 90281 AND 99607 THEN 'medicine'
               ELSE 'other'
           END AS procedure_family
    FROM claim_facts AS f
    LEFT JOIN procedures AS p ON p.claim_key = f.claim_key AND p.rank = 1
    LEFT JOIN drg AS d ON d.claim_key = f.claim_key
)
SELECT claim_key, procedure_type, procedure_code, drg, procedure_family,
       upper(left(encounter_type, 1)) || substr(encounter_type, 2) || ' ' || procedure_family AS service_line
FROM family;
