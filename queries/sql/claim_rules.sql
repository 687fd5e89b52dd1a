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
