-- One row per audit_findings row with its normalised values and the first rule it breaks (reason); no
-- reason quotes a value, only its shape (queries/sql/rule_macros.sql). $today is the ingest date. The rules of the finding itself
-- are finding_problem() (finding_rules.sql), the one definition review saves apply too.
CREATE OR REPLACE TEMP TABLE v_audit_findings AS
WITH t AS (
    SELECT
        r.src_line,
        coalesce(text_problem('claim_id', r.claim_id), text_problem('review_id', r.review_id), text_problem('auditor_id', r.auditor_id),
                 text_problem('review_date', r.review_date), text_problem('code_type', r.code_type),
                 text_problem('submitted_code', r.submitted_code), text_problem('audited_code', r.audited_code),
                 text_problem('finding', r.finding), text_problem('error_category', r.error_category),
                 text_problem('dollar_impact', r.dollar_impact))    AS text_reason,
        nullif(trim(r.claim_id), '')                                AS claim_id,
        nullif(trim(r.review_id), '')                               AS review_id,
        nullif(trim(r.auditor_id), '')                              AS auditor_id,
        nullif(trim(r.review_date), '')                             AS review_date_text,
        upper(nullif(trim(r.code_type), ''))                        AS code_type,
        upper(replace(nullif(trim(r.submitted_code), ''), '.', '')) AS submitted_code,
        upper(replace(nullif(trim(r.audited_code), ''), '.', ''))   AS audited_code,
        lower(nullif(trim(r.finding), ''))                          AS finding,
        lower(nullif(trim(r.error_category), ''))                   AS error_category,
        nullif(trim(r.dollar_impact), '')                           AS dollar_impact_text
    FROM raw_audit_findings AS r
),
checked AS (
    SELECT t.*,
        iso_date(review_date_text) AS review_date,
        dollar_amount(dollar_impact_text) AS dollar_impact,
        m.claim_key
    FROM t LEFT JOIN claim_map AS m ON m.claim_id = t.claim_id
),
ruled AS (
    -- The finding's own rules (codes, finding, category, amount) are finding_problem(), shared with review saves.
    SELECT *,
        coalesce(
            text_reason,
            CASE
                WHEN claim_id IS NULL THEN 'claim_id is missing'
                WHEN review_id IS NULL THEN 'review_id is missing'
                WHEN auditor_id IS NULL THEN 'auditor_id is missing'
                WHEN review_date_text IS NULL THEN 'review_date is missing (YYYY-MM-DD)'
                WHEN review_date IS NULL THEN format('review_date ''{}'' is not a date (YYYY-MM-DD)', shape(review_date_text))
                WHEN date_problem('review_date', review_date, $today) IS NOT NULL THEN date_problem('review_date', review_date, $today)
            END,
            finding_problem(code_type, submitted_code, audited_code, finding, error_category, dollar_impact_text)
        ) AS rule_reason
    FROM checked
),
attached AS MATERIALIZED (  -- referenced twice: computed once
    SELECT r.*, coalesce(r.rule_reason, p.reason) AS pre_reason
    FROM ruled AS r
    LEFT JOIN claim_problem AS p ON p.claim_key = r.claim_key
),
firsts AS (
    SELECT claim_key, review_id, code_type, submitted_code, audited_code, min(src_line) AS first_line
    FROM attached WHERE pre_reason IS NULL
    GROUP BY ALL
)
SELECT a.*,
    CASE
        WHEN a.pre_reason IS NOT NULL THEN a.pre_reason
        WHEN a.src_line <> f.first_line
            THEN format('duplicate finding: line {} of this file has the same review_id, code_type and codes for this claim', f.first_line)
    END AS reason
FROM attached AS a
LEFT JOIN firsts AS f
  ON f.claim_key = a.claim_key AND f.review_id = a.review_id AND f.code_type = a.code_type
 AND coalesce(f.submitted_code, '') = coalesce(a.submitted_code, '') AND coalesce(f.audited_code, '') = coalesce(a.audited_code, '');
