-- A review revision's blind codes: diagnoses (principal first), then procedures, each in the order entered.
SELECT code_type, code, poa
FROM blind_codes
WHERE review_id = ? AND revision = ?
ORDER BY CASE code_type WHEN 'ICD10CM_DX' THEN 0 ELSE 1 END, position;
