-- What the grouper reads of each inpatient claim of drg_todo: the encounter and its codes in line order.
-- ICD10CM_DX line 1 is the principal diagnosis; ICD10CM_ADMIT has line 1 only (validate_claim_codes.sql).
WITH codes AS (
    SELECT k.claim_key,
        list(k.code ORDER BY k.line) FILTER (WHERE k.code_type = 'ICD10CM_DX')  AS dx,
        list(k.line ORDER BY k.line) FILTER (WHERE k.code_type = 'ICD10CM_DX')  AS dx_line,
        list(k.poa ORDER BY k.line) FILTER (WHERE k.code_type = 'ICD10CM_DX')   AS dx_poa,
        list(k.code ORDER BY k.line) FILTER (WHERE k.code_type = 'ICD10PCS')    AS px,
        min(k.code) FILTER (WHERE k.code_type = 'ICD10CM_ADMIT')                AS admitting
    FROM claim_codes AS k
    SEMI JOIN drg_todo AS t ON t.claim_key = k.claim_key
    GROUP BY k.claim_key
)
SELECT c.claim_key, c.discharge_date, c.patient_age, c.patient_sex, c.discharge_status,
       k.dx, k.dx_line, k.dx_poa, k.px, k.admitting
FROM claims AS c
SEMI JOIN drg_todo AS t ON t.claim_key = c.claim_key
LEFT JOIN codes AS k ON k.claim_key = c.claim_key
WHERE c.encounter_type = 'inpatient'
ORDER BY c.claim_key;
