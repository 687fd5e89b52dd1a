-- A claim's submitted codes: diagnoses first (the listed ones, then the admitting diagnosis), then procedures,
-- each type in line order.
SELECT code_type, line, code, poa, modifiers
FROM store.main.claim_codes
WHERE claim_key = $claim_key
ORDER BY CASE code_type WHEN 'ICD10CM_DX' THEN 0 WHEN 'ICD10CM_ADMIT' THEN 1 ELSE 2 END, code_type, line;
