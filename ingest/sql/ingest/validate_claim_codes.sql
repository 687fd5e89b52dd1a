-- One row per claim_codes row with its normalised values and the first rule it breaks (reason); no reason
-- quotes a value, only its shape (queries/sql/rule_macros.sql).
CREATE OR REPLACE TEMP TABLE v_claim_codes AS
WITH t AS (
    SELECT
        r.src_line,
        coalesce(text_problem('claim_id', r.claim_id), text_problem('line', r.line), text_problem('code_type', r.code_type),
                 text_problem('code', r.code), text_problem('poa', r.poa), text_problem('modifiers', r.modifiers),
                 text_problem('units', r.units)) AS text_reason,
        nullif(trim(r.claim_id), '')                              AS claim_id,
        nullif(trim(r.line), '')                                  AS line_text,
        upper(nullif(trim(r.code_type), ''))                      AS code_type,
        upper(replace(nullif(trim(r.code), ''), '.', ''))         AS code,
        upper(nullif(trim(r.poa), ''))                            AS poa,
        upper(nullif(trim(r.modifiers), ''))                      AS modifiers,
        nullif(trim(r.units), '')                                 AS units_text
    FROM raw_claim_codes AS r
),
checked AS (
    SELECT t.*,
        CASE WHEN regexp_full_match(line_text, '\d{1,6}') THEN CAST(line_text AS INTEGER) END AS code_line,
        CASE WHEN regexp_full_match(units_text, '\d{1,6}') THEN CAST(units_text AS INTEGER) END AS units,
        m.claim_key
    FROM t LEFT JOIN claim_map AS m ON m.claim_id = t.claim_id
),
ruled AS (
    SELECT *,
        CASE
            WHEN text_reason IS NOT NULL THEN text_reason
            WHEN claim_id IS NULL THEN 'claim_id is missing'
            WHEN line_text IS NULL THEN 'line is missing (a whole number >= 1; line 1 is the principal or first-listed diagnosis)'
            WHEN code_line IS NULL OR code_line < 1 THEN format('line ''{}'' is not a whole number >= 1', shape(line_text))
            WHEN code_type IS NULL THEN format('code_type is missing ({})', array_to_string(claim_code_types(), ', '))
            WHEN NOT list_contains(claim_code_types(), code_type)
                THEN format('code_type ''{}'' is not one of {}', shape(code_type), array_to_string(claim_code_types(), ', '))
            WHEN code_type = 'ICD10CM_ADMIT' AND code_line <> 1 THEN 'line must be 1 for ICD10CM_ADMIT: a claim has one admitting diagnosis'
            WHEN code IS NULL THEN 'code is missing'
            WHEN NOT regexp_full_match(code, '[A-Z0-9]{1,16}') THEN format('code ''{}'' has characters other than letters, digits and dots', shape(code))
            WHEN poa IS NOT NULL AND poa NOT IN ('Y', 'N', 'U', 'W', '1')
                THEN format('poa ''{}'' is not one of Y, N, U, W, 1 (or blank)', shape(poa))
            WHEN units_text IS NOT NULL AND (units IS NULL OR units < 1) THEN format('units ''{}'' is not a whole number >= 1', shape(units_text))
        END AS rule_reason
    FROM checked
),
attached AS MATERIALIZED (  -- referenced twice: computed once
    SELECT r.*, coalesce(r.rule_reason, p.reason) AS pre_reason
    FROM ruled AS r
    LEFT JOIN claim_problem AS p ON p.claim_key = r.claim_key
),
firsts AS (
    -- The first accepted row of each (claim, code_type, line) wins; a hash aggregate, not a sort.
    SELECT claim_key, code_type, code_line, min(src_line) AS first_line
    FROM attached WHERE pre_reason IS NULL
    GROUP BY ALL
)
SELECT a.*,
    CASE
        WHEN a.pre_reason IS NOT NULL THEN a.pre_reason
        WHEN a.src_line <> f.first_line
            THEN format('duplicate code line: line {} of this file already gives this code_type and line for this claim', f.first_line)
    END AS reason
FROM attached AS a
LEFT JOIN firsts AS f
  ON f.claim_key = a.claim_key AND f.code_type = a.code_type AND f.code_line = a.code_line;
