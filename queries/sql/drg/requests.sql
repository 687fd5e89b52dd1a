-- One row per claim of drg_claims (claim_key, discharge_date, patient_age, patient_sex, discharge_status),
-- with its codes from drg_codes (claim_key, code_type, line, code, poa): the grouper version for the
-- discharge date (grouper_versions, registered from queries.drg.grouper.grouper_versions), the fiscal year, and
-- either why the claim is not grouped (refusal) or its request, the JSON the grouper and the MCE read.
-- The principal diagnosis is ICD10CM_DX line 1, the others follow in line order (each request entry keeps
-- its line, which the grouper ignores); ICD-10-PCS procedures in line order; ICD10CM_ADMIT is line 1 only.
-- POA other than Y, N, U or W (blank, or 1: exempt, the older form) is sent as not reported.
WITH codes AS (
    SELECT claim_key,
        list_sort(list({'line': line, 'code': code, 'poa': CASE WHEN poa IN ('Y', 'N', 'U', 'W') THEN poa END})
                  FILTER (WHERE code_type = 'ICD10CM_DX')) AS dx,
        list_sort(list({'line': line, 'code': code}) FILTER (WHERE code_type = 'ICD10PCS')) AS px,
        min(code) FILTER (WHERE code_type = 'ICD10CM_ADMIT') AS admitting
    FROM drg_codes
    WHERE code_type IN ('ICD10CM_DX', 'ICD10PCS', 'ICD10CM_ADMIT')
    GROUP BY claim_key
),
stays AS (
    SELECT c.*, v.version AS grouper_version,
        year(c.discharge_date) + CASE WHEN month(c.discharge_date) >= 10 THEN 1 ELSE 0 END AS fiscal_year,
        list_filter(k.dx, lambda d: d.line = 1)[1] AS pdx,
        coalesce(list_filter(k.dx, lambda d: d.line <> 1), []) AS sdx,
        coalesce(k.px, []) AS px,
        k.admitting
    FROM drg_claims AS c
    LEFT JOIN codes AS k USING (claim_key)
    LEFT JOIN grouper_versions AS v ON c.discharge_date BETWEEN v.first_day AND v.last_day
),
decided AS (
    SELECT *,
        CASE
            WHEN discharge_date IS NULL THEN 'discharge_date is blank: the grouper version follows the discharge date'
            WHEN grouper_version IS NULL
                THEN format('discharged {}, outside {} to {}, the dates {} has a grouper version for', discharge_date, $first_day, $last_day, $package)
            WHEN patient_age IS NULL OR patient_sex IS NULL OR discharge_status IS NULL
                THEN concat_ws(', ', CASE WHEN patient_age IS NULL THEN 'patient age (patient_dob)' END,
                               CASE WHEN patient_sex IS NULL THEN 'patient_sex' END,
                               CASE WHEN discharge_status IS NULL THEN 'discharge_status' END) || ' not given: the grouper needs it'
            WHEN patient_sex NOT IN ('M', 'F', 'U') OR NOT regexp_full_match(discharge_status, '\d{2}')
                THEN 'patient_sex or discharge_status is not a value the grouper takes'
            WHEN pdx IS NULL THEN 'no principal diagnosis (ICD10CM_DX line 1)'
        END AS refusal
    FROM stays
)
SELECT claim_key, CASE WHEN refusal IS NULL THEN grouper_version END AS grouper_version, fiscal_year, refusal,
    CASE WHEN refusal IS NULL THEN encode(CAST(to_json({
        'version': grouper_version, 'discharge_date': CAST(strftime(discharge_date, '%Y%m%d') AS INTEGER),
        'age': patient_age, 'sex': CASE patient_sex WHEN 'M' THEN 0 WHEN 'F' THEN 1 ELSE 2 END,
        'discharge_status': CAST(discharge_status AS INTEGER), 'pdx': pdx, 'sdx': sdx, 'procedures': px,
        'admit_dx': CASE WHEN admitting IS NOT NULL THEN {'code': admitting} END}) AS VARCHAR)) END AS request
FROM decided
ORDER BY claim_key;
