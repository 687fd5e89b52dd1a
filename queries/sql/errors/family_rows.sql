-- The code-level findings of a claim scope and the group each counts in at one level (docs/METRICS.md,
-- "Where errors concentrate"), as TEMP macros of the reader that runs errors/*.sql.
-- A finding counts in the family of its submitted code, or of its audited code when it adds a code
-- (submitted_code is blank only then). DRG findings are left out: DRG accuracy measures them.
-- Levels: chapter, block, category (ICD-10-CM findings), pcs_section, pcs_body_system (ICD-10-PCS), cpt_range
-- (CPT and HCPCS), drg_family, mdc (every code-level finding on an inpatient claim, by the claim's grouped
-- MS-DRG), payer, facility (every code-level finding). A finding outside the level's code types has no group
-- and is left out.
-- The rule is applied in two steps so that a query can count before it looks a code up: error_family_keyed
-- gives each finding its family_key (the group itself, or for chapter, block and CPT ranges the code) and
-- error_family_group turns a key into the group (a code into its ICD-10-CM chapter or block, from icd10cm, or
-- into its CPT range). by_group.sql counts per key and looks up each key once; findings.sql each finding.

CREATE OR REPLACE TEMP MACRO error_family_keyed(level, date_from, date_to, facilities, payers, coders, encounter_types) AS TABLE
SELECT * FROM (
    SELECT f.*,
        CASE
            WHEN level IN ('chapter', 'block') THEN coalesce(f.submitted_code, f.audited_code, '')
            WHEN level = 'category' THEN left(coalesce(f.submitted_code, f.audited_code), 3)
            WHEN level = 'pcs_section' THEN left(coalesce(f.submitted_code, f.audited_code), 1)
            WHEN level = 'pcs_body_system' THEN left(coalesce(f.submitted_code, f.audited_code), 2)
            WHEN level = 'cpt_range' AND f.code_type = 'HCPCS' THEN 'HCPCS ' || left(coalesce(f.submitted_code, f.audited_code), 1)
            WHEN level = 'cpt_range' AND f.code_type = 'CPT' THEN coalesce(f.submitted_code, f.audited_code, '')
            WHEN level IN ('drg_family', 'mdc') AND g.claim_key IS NULL THEN NULL
            WHEN level = 'drg_family' THEN coalesce(g.drg_family, '(not grouped)')
            WHEN level = 'mdc' THEN coalesce(lpad(CAST(g.grouped_mdc AS VARCHAR), 2, '0'), '(not grouped)')
            WHEN level = 'payer' THEN f.payer
            WHEN level = 'facility' THEN f.facility_id
        END AS family_key,
        level = 'cpt_range' AND f.code_type = 'CPT' AS cpt_key
    FROM finding_facts AS f
    LEFT JOIN claim_drg AS g ON level IN ('drg_family', 'mdc') AND g.claim_key = f.claim_key
    -- The level's code types, written so that a level given as a constant leaves one plain predicate on
    -- code_type, which DuckDB evaluates in the scan before it reads the other columns.
    WHERE CASE
              WHEN level IN ('chapter', 'block', 'category') THEN f.code_type IN ('ICD10CM_DX', 'ICD10CM_ADMIT')
              WHEN level IN ('pcs_section', 'pcs_body_system') THEN f.code_type = 'ICD10PCS'
              WHEN level = 'cpt_range' THEN f.code_type IN ('CPT', 'HCPCS')
              ELSE f.code_type <> 'MSDRG'
          END
      AND in_scope(f.service_date, f.facility_id, f.payer, f.coder_id, f.encounter_type,
                   date_from, date_to, facilities, payers, coders, encounter_types)
)
WHERE family_key IS NOT NULL;

-- The group of a family_key. chapter, block: the key's in icd10cm (NULL: not an ICD-10-CM code); cpt_key: the
-- key is a CPT code, ranged here by the sections of the code set.
CREATE OR REPLACE TEMP MACRO error_family_group(level, family_key, cpt_key, chapter, block) AS
    CASE
        WHEN level = 'chapter' THEN coalesce(chapter, '(not an ICD-10-CM code)')
        WHEN level = 'block' THEN coalesce(block, '(not an ICD-10-CM code)')
        WHEN cpt_key THEN
            CASE
                WHEN regexp_full_match(family_key, '\d{4}F') THEN 'CPT Category II'
                WHEN regexp_full_match(family_key, '\d{4}T') THEN 'CPT Category III'
                WHEN try_cast(family_key AS INTEGER) IS NULL THEN 'CPT other'
                WHEN try_cast(family_key AS INTEGER) BETWEEN 100 AND 1999 THEN 'CPT 00100-01999'
                WHEN try_cast(family_key AS INTEGER) BETWEEN 10004 AND 69990 THEN 'CPT 10004-69990'
                WHEN try_cast(family_key AS INTEGER) BETWEEN 70010 AND 79999 THEN 'CPT 70010-79999'
                WHEN try_cast(family_key AS INTEGER) BETWEEN 80047 AND 89398 THEN 'CPT 80047-89398'
                WHEN try_cast(family_key AS INTEGER) BETWEEN 99202 AND 99499 THEN 'CPT 99202-99499'
                WHEN try_cast(family_key AS INTEGER) BETWEEN 90281 AND 99607 THEN 'CPT 90281-99607'
                ELSE 'CPT other'
            END
        ELSE family_key
    END;
