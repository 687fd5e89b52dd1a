-- Accepted rows (accepted_<file>, from ingest/stage.py) replace stored rows with the same natural key,
-- so re-running an ingest changes nothing.
DELETE FROM claims WHERE claim_key IN (SELECT claim_key FROM accepted_claims);
-- Written in claim_key order, so each batch's row groups cover narrow key ranges and a lookup of a few claims
-- (an auditor completing a claim: review/sql/frame/claim_payments.sql) reads about one row group per batch.
INSERT INTO claims
SELECT claim_key, facility_id, payer, coder_id, encounter_type, service_date, discharge_date, billed_amount,
       ms_drg, patient_sex, discharge_status, patient_age, paid_amount, allowed_amount
FROM accepted_claims
ORDER BY claim_key;

DELETE FROM claim_codes AS c USING (SELECT claim_key, code_type, code_line FROM accepted_claim_codes) AS n
WHERE c.claim_key = n.claim_key AND c.code_type = n.code_type AND c.line = n.code_line;
INSERT INTO claim_codes
SELECT claim_key, code_line, code_type, code, poa, modifiers, units
FROM accepted_claim_codes;

DELETE FROM audit_findings AS f USING (SELECT claim_key, review_id, code_type, submitted_code, audited_code FROM accepted_audit_findings) AS n
WHERE f.claim_key = n.claim_key AND f.review_id = n.review_id AND f.code_type = n.code_type
  AND f.submitted_code IS NOT DISTINCT FROM n.submitted_code AND f.audited_code IS NOT DISTINCT FROM n.audited_code;
INSERT INTO audit_findings
SELECT claim_key, review_id, auditor_id, review_date, code_type, submitted_code, audited_code, finding, error_category, dollar_impact
FROM accepted_audit_findings;

DELETE FROM denials AS d USING (SELECT claim_key, occurrence, payer, remit_date, group_code, carc, rarc FROM accepted_denials) AS n
WHERE d.claim_key = n.claim_key AND d.occurrence = n.occurrence AND d.payer = n.payer AND d.remit_date = n.remit_date
  AND d.group_code = n.group_code AND d.carc = n.carc AND d.rarc IS NOT DISTINCT FROM n.rarc;
INSERT INTO denials
SELECT claim_key, occurrence, payer, remit_date, group_code, carc, rarc, denied_amount, appeal_status, trace_number, remark_codes
FROM accepted_denials;
