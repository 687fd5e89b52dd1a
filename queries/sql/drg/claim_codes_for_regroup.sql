-- The submitted codes of one claim, for regrouping with an auditor's changes.
SELECT code_type, line, code, poa
FROM claim_codes
WHERE claim_key = $claim_key
ORDER BY code_type, line;
