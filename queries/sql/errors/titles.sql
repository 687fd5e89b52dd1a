-- Official titles for groups of a level, where the store holds them: ICD-10-CM chapters and blocks
-- (icd10cm_headings), 3-character categories (icd10cm) and MS-DRG families (the grouper's title of a DRG in the
-- family, its severity words taken off). Other levels have none here (queries/error_families.py names them).
SELECT id AS grp, description AS title FROM icd10cm_headings WHERE kind = $level AND list_contains($groups, id)
UNION ALL
SELECT code, description FROM icd10cm WHERE $level = 'category' AND list_contains($groups, code)
UNION ALL
SELECT drg_family, min(regexp_replace(drg_title, ' (with|without) (MCC|CC|CC/MCC).*$', ''))
FROM claim_drg WHERE $level = 'drg_family' AND list_contains($groups, drg_family)
GROUP BY drg_family;
