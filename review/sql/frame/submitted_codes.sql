-- A claim's submitted codes in line order, diagnoses with their ICD-10-CM title.
SELECT c.code_type, c.line, c.code, coalesce(i.code_dotted, c.code) AS shown_code,
       CASE WHEN c.code_type = 'ICD10CM_DX' THEN coalesce(i.description, '(not a billable ICD-10-CM code)') END AS title,
       c.poa, c.modifiers
FROM store.main.claim_codes AS c
LEFT JOIN icd10cm AS i ON i.code = c.code AND c.code_type = 'ICD10CM_DX'
WHERE c.claim_key = $claim_key
ORDER BY CASE c.code_type WHEN 'ICD10CM_DX' THEN 0 ELSE 1 END, c.code_type, c.line;
