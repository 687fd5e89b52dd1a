-- The inpatient claims of drg_todo and their codes, under the names queries/sql/drg/requests.sql reads.
CREATE OR REPLACE TEMP VIEW drg_claims AS
SELECT c.claim_key, c.discharge_date, c.patient_age, c.patient_sex, c.discharge_status
FROM claims AS c
SEMI JOIN drg_todo AS t ON t.claim_key = c.claim_key
WHERE c.encounter_type = 'inpatient';
CREATE OR REPLACE TEMP VIEW drg_codes AS
SELECT k.claim_key, k.code_type, k.line, k.code, k.poa
FROM claim_codes AS k
SEMI JOIN drg_claims AS c ON c.claim_key = k.claim_key;
