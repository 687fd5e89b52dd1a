-- Official titles for groups of a level, where the store holds them: ICD-10-CM chapters and blocks
-- (icd10cm_headings), 3-character categories (icd10cm) and MS-DRG families (the grouper's title of a DRG in the
-- family, its severity words taken off). Other levels have none here (queries/error_families.py names them).
-- The groups asked for are joined on, so each table is probed once per group.
WITH wanted AS (SELECT DISTINCT unnest(CAST($groups AS VARCHAR[])) AS grp)
SELECT h.id AS grp, h.description AS title FROM icd10cm_headings AS h JOIN wanted AS w ON w.grp = h.id WHERE h.kind = $level
UNION ALL
SELECT i.code, i.description FROM icd10cm AS i JOIN wanted AS w ON w.grp = i.code WHERE $level = 'category'
UNION ALL
SELECT g.drg_family, min(regexp_replace(g.drg_title, ' (with|without) (MCC|CC|CC/MCC).*$', ''))
FROM claim_drg AS g JOIN wanted AS w ON w.grp = g.drg_family WHERE $level = 'drg_family'
GROUP BY g.drg_family;
