-- The code-level findings of a claim scope, each with the group it counts in at one level (docs/METRICS.md,
-- "Where errors concentrate"), as a TEMP table macro of the reader that runs errors/*.sql.
-- A finding counts in the family of its submitted code, or of its audited code when it adds a code
-- (submitted_code is blank only then). DRG findings are left out: DRG accuracy measures them.
-- Levels: chapter, block, category (ICD-10-CM findings), pcs_section, pcs_body_system (ICD-10-PCS), cpt_range
-- (CPT and HCPCS), drg_family, mdc (every code-level finding on an inpatient claim, by the claim's grouped
-- MS-DRG), payer, facility (every code-level finding). A finding outside the level's code types has no group
-- and is left out. `one_group` NULL keeps every group.
CREATE OR REPLACE TEMP MACRO error_family_rows(level, one_group, date_from, date_to, facilities, payers, coders,
                                               encounter_types) AS TABLE
WITH scoped AS (
    SELECT f.*, coalesce(f.submitted_code, f.audited_code) AS family_code
    FROM finding_facts AS f
    WHERE f.code_type <> 'MSDRG'
      AND in_scope(f.service_date, f.facility_id, f.payer, f.coder_id, f.encounter_type,
                   date_from, date_to, facilities, payers, coders, encounter_types)
),
grouped AS (
    SELECT s.*,
        CASE
            WHEN level IN ('chapter', 'block', 'category') AND s.code_type NOT IN ('ICD10CM_DX', 'ICD10CM_ADMIT') THEN NULL
            WHEN level = 'chapter' THEN coalesce(i.chapter, '(not an ICD-10-CM code)')
            WHEN level = 'block' THEN coalesce(i.block, '(not an ICD-10-CM code)')
            WHEN level = 'category' THEN left(s.family_code, 3)
            WHEN level IN ('pcs_section', 'pcs_body_system') AND s.code_type <> 'ICD10PCS' THEN NULL
            WHEN level = 'pcs_section' THEN left(s.family_code, 1)
            WHEN level = 'pcs_body_system' THEN left(s.family_code, 2)
            WHEN level = 'cpt_range' AND s.code_type = 'HCPCS' THEN 'HCPCS ' || left(s.family_code, 1)
            WHEN level = 'cpt_range' AND s.code_type = 'CPT' THEN
                CASE
                    WHEN regexp_full_match(s.family_code, '\d{4}F') THEN 'CPT Category II'
                    WHEN regexp_full_match(s.family_code, '\d{4}T') THEN 'CPT Category III'
                    WHEN try_cast(s.family_code AS INTEGER) IS NULL THEN 'CPT other'
                    WHEN try_cast(s.family_code AS INTEGER) BETWEEN 100 AND 1999 THEN 'CPT 00100-01999'
                    WHEN try_cast(s.family_code AS INTEGER) BETWEEN 10004 AND 69990 THEN 'CPT 10004-69990'
                    WHEN try_cast(s.family_code AS INTEGER) BETWEEN 70010 AND 79999 THEN 'CPT 70010-79999'
                    WHEN try_cast(s.family_code AS INTEGER) BETWEEN 80047 AND 89398 THEN 'CPT 80047-89398'
                    WHEN try_cast(s.family_code AS INTEGER) BETWEEN 99202 AND 99499 THEN 'CPT 99202-99499'
                    WHEN try_cast(s.family_code AS INTEGER) BETWEEN 90281 AND 99607 THEN 'CPT 90281-99607'
                    ELSE 'CPT other'
                END
            WHEN level IN ('drg_family', 'mdc') AND g.claim_key IS NULL THEN NULL
            WHEN level = 'drg_family' THEN coalesce(g.drg_family, '(not grouped)')
            WHEN level = 'mdc' THEN coalesce(lpad(CAST(g.grouped_mdc AS VARCHAR), 2, '0'), '(not grouped)')
            WHEN level = 'payer' THEN s.payer
            WHEN level = 'facility' THEN s.facility_id
        END AS grp
    FROM scoped AS s
    LEFT JOIN icd10cm AS i ON level IN ('chapter', 'block') AND i.code = s.family_code
    LEFT JOIN claim_drg AS g ON level IN ('drg_family', 'mdc') AND g.claim_key = s.claim_key
)
SELECT * EXCLUDE (family_code) FROM grouped
WHERE grp IS NOT NULL AND (one_group IS NULL OR grp = one_group);
