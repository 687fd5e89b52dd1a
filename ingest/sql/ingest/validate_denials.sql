-- One row per denials row with its normalised values and the first rule it breaks (reason); no reason
-- quotes a value, only its shape (queries/sql/rule_macros.sql). $today is the ingest date.
CREATE OR REPLACE TEMP TABLE v_denials AS
WITH t AS (
    SELECT
        r.src_line,
        coalesce(text_problem('claim_id', r.claim_id), text_problem('payer', r.payer), text_problem('remit_date', r.remit_date),
                 text_problem('group_code', r.group_code), text_problem('carc', r.carc), text_problem('rarc', r.rarc),
                 text_problem('denied_amount', r.denied_amount), text_problem('appeal_status', r.appeal_status)) AS text_reason,
        nullif(trim(r.claim_id), '')               AS claim_id,
        nullif(trim(r.payer), '')                  AS payer,
        nullif(trim(r.remit_date), '')             AS remit_date_text,
        upper(nullif(trim(r.group_code), ''))      AS group_code,
        upper(nullif(trim(r.carc), ''))            AS carc,
        upper(nullif(trim(r.rarc), ''))            AS rarc,
        nullif(trim(r.denied_amount), '')          AS denied_amount_text,
        lower(nullif(trim(r.appeal_status), ''))   AS appeal_status,
        CAST(NULL AS VARCHAR)                      AS trace_number,  -- 835 rows only (ingest/remittance_stage.py)
        CAST(NULL AS VARCHAR)                      AS remark_codes
    FROM raw_denials AS r
),
checked AS (
    SELECT t.*,
        iso_date(remit_date_text) AS remit_date,
        CASE WHEN regexp_full_match(denied_amount_text, '\d{1,12}(\.\d{1,2})?') THEN CAST(denied_amount_text AS DECIMAL(14, 2)) END AS denied_amount,
        m.claim_key
    FROM t LEFT JOIN claim_map AS m ON m.claim_id = t.claim_id
),
ruled AS (
    SELECT *,
        CASE
            WHEN text_reason IS NOT NULL THEN text_reason
            WHEN claim_id IS NULL THEN 'claim_id is missing'
            WHEN payer IS NULL THEN 'payer is missing'
            WHEN remit_date_text IS NULL THEN 'remit_date is missing (YYYY-MM-DD)'
            WHEN remit_date IS NULL THEN format('remit_date ''{}'' is not a date (YYYY-MM-DD)', shape(remit_date_text))
            WHEN date_problem('remit_date', remit_date, $today) IS NOT NULL THEN date_problem('remit_date', remit_date, $today)
            WHEN group_code IS NULL THEN 'group_code is missing (CO, PR, OA, PI or CR)'
            WHEN group_code NOT IN ('CO', 'PR', 'OA', 'PI', 'CR')
                THEN format('group_code ''{}'' is not one of CO, PR, OA, PI, CR', shape(group_code))
            WHEN carc IS NULL THEN 'carc is missing (the claim adjustment reason code, e.g. 16)'
            WHEN NOT regexp_full_match(carc, '[A-Z0-9]{1,5}') THEN format('carc ''{}'' is not a reason code (1 to 5 letters or digits)', shape(carc))
            WHEN rarc IS NOT NULL AND NOT regexp_full_match(rarc, '[A-Z0-9]{1,8}') THEN format('rarc ''{}'' is not a remark code (e.g. M51, N130)', shape(rarc))
            WHEN denied_amount_text IS NULL THEN 'denied_amount is missing (a decimal >= 0)'
            WHEN denied_amount IS NULL
                THEN format('denied_amount ''{}'' is not a decimal >= 0 with at most 2 decimals', shape(denied_amount_text))
            WHEN appeal_status IS NOT NULL AND appeal_status NOT IN ('pending', 'overturned', 'upheld')
                THEN format('appeal_status ''{}'' is not one of pending, overturned, upheld (or blank)', shape(appeal_status))
        END AS rule_reason
    FROM checked
)
SELECT r.*,
    coalesce(r.rule_reason, p.reason) AS reason,
    -- Identical adjustments on one remittance (two service lines with CO-45, say) stay distinct rows.
    row_number() OVER (PARTITION BY r.claim_key, r.payer, r.remit_date, r.group_code, r.carc, r.rarc, r.rule_reason IS NULL ORDER BY r.src_line) AS occurrence
FROM ruled AS r
LEFT JOIN claim_problem AS p ON p.claim_key = r.claim_key;
