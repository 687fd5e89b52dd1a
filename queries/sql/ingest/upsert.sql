-- Accepted rows replace stored rows with the same natural key, so re-running an ingest changes nothing.
DELETE FROM claims WHERE claim_key IN (SELECT claim_key FROM v_claims WHERE reason IS NULL);
INSERT INTO claims
SELECT v.claim_key, v.facility_id, v.payer, v.coder_id, v.encounter_type, v.service_date, v.discharge_date, v.billed_amount,
       v.ms_drg, v.patient_sex, v.discharge_status, a.patient_age
FROM v_claims AS v
LEFT JOIN claim_age AS a USING (claim_key)
WHERE v.reason IS NULL;

DELETE FROM claim_codes AS c USING (SELECT claim_key, code_type, code_line FROM v_claim_codes WHERE reason IS NULL) AS n
WHERE c.claim_key = n.claim_key AND c.code_type = n.code_type AND c.line = n.code_line;
INSERT INTO claim_codes
SELECT claim_key, code_line, code_type, code, poa, modifiers, units
FROM v_claim_codes WHERE reason IS NULL;

DELETE FROM audit_findings AS f USING (SELECT claim_key, review_id, code_type, submitted_code, audited_code FROM v_audit_findings WHERE reason IS NULL) AS n
WHERE f.claim_key = n.claim_key AND f.review_id = n.review_id AND f.code_type = n.code_type
  AND f.submitted_code IS NOT DISTINCT FROM n.submitted_code AND f.audited_code IS NOT DISTINCT FROM n.audited_code;
INSERT INTO audit_findings
SELECT claim_key, review_id, auditor_id, review_date, code_type, submitted_code, audited_code, finding, error_category, dollar_impact
FROM v_audit_findings WHERE reason IS NULL;

DELETE FROM denials AS d USING (SELECT claim_key, occurrence, payer, remit_date, group_code, carc, rarc FROM v_denials WHERE reason IS NULL) AS n
WHERE d.claim_key = n.claim_key AND d.occurrence = n.occurrence AND d.payer = n.payer AND d.remit_date = n.remit_date
  AND d.group_code = n.group_code AND d.carc = n.carc AND d.rarc IS NOT DISTINCT FROM n.rarc;
INSERT INTO denials
SELECT claim_key, occurrence, payer, remit_date, group_code, carc, rarc, denied_amount, appeal_status
FROM v_denials WHERE reason IS NULL;
