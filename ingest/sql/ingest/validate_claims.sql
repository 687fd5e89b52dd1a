-- One row per claims.csv row with its normalised values and the first rule it breaks (reason).
-- No reason quotes a value: a mislabelled header can put PHI in any column, so values show as their
-- shape (queries/sql/rule_macros.sql). $today is the ingest date, for the date bounds.
CREATE OR REPLACE TEMP TABLE v_claims AS
WITH t AS (
    SELECT
        r.src_line,
        coalesce(text_problem('claim_id', r.claim_id), text_problem('patient_mrn', r.patient_mrn),
                 text_problem('patient_name', r.patient_name), text_problem('patient_dob', r.patient_dob),
                 text_problem('patient_zip', r.patient_zip), text_problem('facility_id', r.facility_id),
                 text_problem('payer', r.payer), text_problem('coder_id', r.coder_id),
                 text_problem('encounter_type', r.encounter_type), text_problem('service_date', r.service_date),
                 text_problem('discharge_date', r.discharge_date), text_problem('billed_amount', r.billed_amount),
                 text_problem('ms_drg', r.ms_drg), text_problem('patient_sex', r.patient_sex),
                 text_problem('discharge_status', r.discharge_status), text_problem('paid_amount', r.paid_amount),
                 text_problem('allowed_amount', r.allowed_amount)) AS text_reason,
        nullif(trim(r.claim_id), '')              AS claim_id,
        nullif(trim(r.patient_mrn), '')           AS patient_mrn,
        nullif(trim(r.patient_name), '')          AS patient_name,
        nullif(trim(r.patient_dob), '')           AS patient_dob,
        nullif(trim(r.patient_zip), '')           AS patient_zip,
        nullif(trim(r.facility_id), '')           AS facility_id,
        nullif(trim(r.payer), '')                 AS payer,
        nullif(trim(r.coder_id), '')              AS coder_id,
        lower(nullif(trim(r.encounter_type), '')) AS encounter_type,
        nullif(trim(r.service_date), '')          AS service_date_text,
        nullif(trim(r.discharge_date), '')        AS discharge_date_text,
        nullif(trim(r.billed_amount), '')         AS billed_amount_text,
        nullif(trim(r.ms_drg), '')                AS ms_drg_text,
        upper(nullif(trim(r.patient_sex), ''))    AS patient_sex,
        nullif(trim(r.discharge_status), '')      AS discharge_status_text,
        nullif(trim(r.paid_amount), '')           AS paid_amount_text,
        nullif(trim(r.allowed_amount), '')        AS allowed_amount_text
    FROM raw_claims AS r
),
typed AS (
    SELECT *,
        iso_date(service_date_text)                                                                           AS service_date,
        iso_date(discharge_date_text)                                                                         AS discharge_date,
        CASE WHEN regexp_full_match(billed_amount_text, '\d{1,12}(\.\d{1,2})?') THEN CAST(billed_amount_text AS DECIMAL(14, 2)) END AS billed_amount,
        CASE WHEN regexp_full_match(paid_amount_text, '\d{1,12}(\.\d{1,2})?') THEN CAST(paid_amount_text AS DECIMAL(14, 2)) END AS paid_amount,
        CASE WHEN regexp_full_match(allowed_amount_text, '\d{1,12}(\.\d{1,2})?') THEN CAST(allowed_amount_text AS DECIMAL(14, 2)) END AS allowed_amount,
        iso_date(patient_dob)                                                                                 AS dob_checked,
        -- Spreadsheets drop leading zeros: 65 is DRG 065, 1 is discharge status 01.
        CASE WHEN regexp_full_match(ms_drg_text, '\d{1,3}') AND try_cast(ms_drg_text AS INTEGER) > 0 THEN lpad(CAST(try_cast(ms_drg_text AS INTEGER) AS VARCHAR), 3, '0') END AS ms_drg,
        CASE WHEN regexp_full_match(discharge_status_text, '\d{1,2}') THEN lpad(discharge_status_text, 2, '0') END AS discharge_status
    FROM t
),
checked AS MATERIALIZED (  -- referenced twice: computed once
    SELECT *,
        CASE
            WHEN text_reason IS NOT NULL THEN text_reason
            WHEN claim_id IS NULL THEN 'claim_id is missing'
            WHEN facility_id IS NULL THEN 'facility_id is missing'
            WHEN payer IS NULL THEN 'payer is missing'
            WHEN coder_id IS NULL THEN 'coder_id is missing'
            WHEN encounter_type IS NULL THEN 'encounter_type is missing (inpatient, outpatient or professional)'
            WHEN encounter_type NOT IN ('inpatient', 'outpatient', 'professional')
                THEN format('encounter_type ''{}'' is not one of inpatient, outpatient, professional', shape(encounter_type))
            WHEN service_date_text IS NULL THEN 'service_date is missing (YYYY-MM-DD)'
            WHEN service_date IS NULL THEN format('service_date ''{}'' is not a date (YYYY-MM-DD)', shape(service_date_text))
            WHEN date_problem('service_date', service_date, $today) IS NOT NULL THEN date_problem('service_date', service_date, $today)
            WHEN discharge_date_text IS NOT NULL AND discharge_date IS NULL
                THEN format('discharge_date ''{}'' is not a date (YYYY-MM-DD)', shape(discharge_date_text))
            WHEN date_problem('discharge_date', discharge_date, $today) IS NOT NULL THEN date_problem('discharge_date', discharge_date, $today)
            WHEN discharge_date < service_date THEN 'discharge_date is before service_date'
            WHEN billed_amount_text IS NULL THEN 'billed_amount is missing (a decimal >= 0, e.g. 1250.00)'
            WHEN billed_amount IS NULL
                THEN format('billed_amount ''{}'' is not a decimal >= 0 with at most 2 decimals (e.g. 1250.00)', shape(billed_amount_text))
            WHEN ms_drg_text IS NOT NULL AND ms_drg IS NULL
                THEN format('ms_drg ''{}'' is not an MS-DRG number (1 to 3 digits, e.g. 291)', shape(ms_drg_text))
            WHEN patient_sex IS NOT NULL AND patient_sex NOT IN ('M', 'F', 'U')
                THEN format('patient_sex ''{}'' is not one of M, F, U (or blank)', shape(patient_sex))
            WHEN discharge_status_text IS NOT NULL AND discharge_status IS NULL
                THEN format('discharge_status ''{}'' is not a two-digit UB-04 patient discharge status (e.g. 01)', shape(discharge_status_text))
            WHEN paid_amount_text IS NOT NULL AND paid_amount IS NULL
                THEN format('paid_amount ''{}'' is not a decimal >= 0 with at most 2 decimals (e.g. 980.00; blank when not known)', shape(paid_amount_text))
            WHEN allowed_amount_text IS NOT NULL AND allowed_amount IS NULL
                THEN format('allowed_amount ''{}'' is not a decimal >= 0 with at most 2 decimals (e.g. 1100.00; blank when not known)', shape(allowed_amount_text))
            -- A DRG-paid claim (inpatient with a billed MS-DRG) is paid the DRG's amount, which may exceed the charges.
            WHEN allowed_amount > billed_amount AND NOT (encounter_type = 'inpatient' AND ms_drg IS NOT NULL)
                THEN 'allowed_amount is more than billed_amount: a payer allows at most what was billed, unless the claim is paid by its DRG (an inpatient claim with an ms_drg)'
            WHEN paid_amount > allowed_amount
                THEN 'paid_amount is more than allowed_amount: a payer pays at most what it allowed (the rest is patient responsibility)'
            WHEN allowed_amount IS NULL AND paid_amount > billed_amount AND NOT (encounter_type = 'inpatient' AND ms_drg IS NOT NULL)
                THEN 'paid_amount is more than billed_amount: a payer pays at most what was billed, unless the claim is paid by its DRG (an inpatient claim with an ms_drg)'
            WHEN patient_dob IS NOT NULL AND dob_checked IS NULL
                THEN 'patient_dob is not a date (YYYY-MM-DD); the value is not shown because it is PHI'
            WHEN dob_checked < DATE '1880-01-01' THEN 'patient_dob is before 1880-01-01; the value is not shown because it is PHI'
            WHEN dob_checked > $today THEN 'patient_dob is in the future; the value is not shown because it is PHI'
            WHEN dob_checked > service_date THEN 'patient_dob is after service_date; the value is not shown because it is PHI'
            WHEN patient_zip IS NOT NULL AND NOT regexp_full_match(patient_zip, '\d{5}(-?\d{4})?')
                THEN 'patient_zip is not a 5-digit or ZIP+4 code; the value is not shown because it is PHI'
        END AS rule_reason
    FROM typed
),
firsts AS (
    -- A claim_id repeated in one file: the first row wins (whatever its fate), later rows are duplicates.
    SELECT claim_id, min(src_line) AS first_src_line FROM checked GROUP BY claim_id
)
SELECT
    c.*,
    m.claim_key,
    f.first_src_line,
    CASE
        WHEN c.rule_reason IS NOT NULL THEN c.rule_reason
        WHEN c.src_line <> f.first_src_line
            THEN format('duplicate claim_id: line {} of this file has the same claim_id and wins', f.first_src_line)
    END AS reason
FROM checked AS c
LEFT JOIN firsts AS f ON f.claim_id = c.claim_id
LEFT JOIN claim_map AS m ON m.claim_id = c.claim_id;
