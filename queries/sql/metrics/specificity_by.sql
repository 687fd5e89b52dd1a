-- Unspecified and invalid ICD-10-CM rates by chapter, block, coder or facility. A code missing from the
-- code set has no chapter or block and is grouped as '(not a billable code)'; a header code such as E11
-- is invalid too but keeps its own chapter and block.
-- Chapters and blocks carry their official title from the code set.
WITH g AS (
SELECT CASE $level
           WHEN 'chapter' THEN coalesce(chapter, '(not a billable code)')
           WHEN 'block' THEN coalesce(block, '(not a billable code)')
           WHEN 'coder' THEN coder_id
           WHEN 'facility' THEN facility_id
       END AS grp,
       count(*) AS dx_codes,
       count(*) FILTER (WHERE unspecified) AS unspecified_dx,
       count(*) FILTER (WHERE NOT billable) AS invalid_dx,
       count(*) FILTER (WHERE unspecified) / count(*) AS unspecified_rate,
       count(*) FILTER (WHERE NOT billable) / count(*) AS invalid_code_rate
FROM dx_facts
WHERE in_scope(service_date, facility_id, payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
GROUP BY grp
)
SELECT g.*, h.description AS title
FROM g
LEFT JOIN icd10cm_headings AS h ON h.id = g.grp AND h.kind = $level
ORDER BY g.dx_codes DESC, g.grp;
