-- The rules of one audit finding row, the one definition that ingest (ingest/sql/ingest/validate_audit_findings.sql)
-- and review saves (queries/finding_rules.py, for review/) both apply, so a finding typed on the Record
-- review page is refused with the same sentence an ingest would give. Needs shape() and
-- finding_code_types() (rule_macros.sql).
-- Inputs are normalised as ingest normalises them: code_type upper case, codes upper case without dots,
-- finding and error_category lower case, blanks NULL; dollar_impact_text is the trimmed text (NULL = blank = 0.00).

-- The findings and error categories, in the order the pages offer them (queries.finding_rules.FINDINGS and
-- ERROR_CATEGORIES name the same, and queries.words gives each its words: tests/queries/test_code_types.py).
CREATE OR REPLACE TEMP MACRO finding_kinds() AS ['agree', 'revise', 'add', 'delete'];
CREATE OR REPLACE TEMP MACRO error_categories() AS
    ['specificity', 'wrong_code', 'sequencing', 'missing_code', 'unsupported_code', 'modifier', 'poa', 'drg', 'other'];

-- A dollar amount: a signed decimal with at most 2 decimals (negative = overpaid); blank is 0.00; NULL if malformed.
CREATE OR REPLACE TEMP MACRO dollar_amount(dollar_impact_text) AS
    CASE WHEN dollar_impact_text IS NULL THEN 0.00
         WHEN regexp_full_match(dollar_impact_text, '[+-]?\d{1,12}(\.\d{1,2})?') THEN CAST(dollar_impact_text AS DECIMAL(14, 2)) END;

-- The first rule the finding breaks, as a sentence quoting only the shape of a value; NULL when it breaks none.
CREATE OR REPLACE TEMP MACRO finding_problem(code_type, submitted_code, audited_code, finding, error_category, dollar_impact_text) AS
    CASE
        WHEN code_type IS NULL THEN format('code_type is missing ({})', array_to_string(finding_code_types(), ', '))
        WHEN NOT list_contains(finding_code_types(), code_type)
            THEN format('code_type ''{}'' is not one of {}', shape(code_type), array_to_string(finding_code_types(), ', '))
        WHEN finding IS NULL THEN format('finding is missing ({} or {})',
                                         array_to_string(finding_kinds()[:-2], ', '), finding_kinds()[-1])
        WHEN NOT list_contains(finding_kinds(), finding)
            THEN format('finding ''{}'' is not one of {}', shape(finding), array_to_string(finding_kinds(), ', '))
        WHEN NOT regexp_full_match(coalesce(submitted_code, 'X'), '[A-Z0-9]{1,16}')
            THEN format('submitted_code ''{}'' has characters other than letters, digits and dots', shape(submitted_code))
        WHEN NOT regexp_full_match(coalesce(audited_code, 'X'), '[A-Z0-9]{1,16}')
            THEN format('audited_code ''{}'' has characters other than letters, digits and dots', shape(audited_code))
        WHEN finding = 'agree' AND (submitted_code IS NULL OR audited_code IS NULL)
            THEN 'finding agree needs both submitted_code and audited_code'
        WHEN finding = 'agree' AND submitted_code <> audited_code
            THEN 'finding agree but submitted_code differs from audited_code: use revise'
        WHEN finding = 'revise' AND (submitted_code IS NULL OR audited_code IS NULL)
            THEN 'finding revise needs both submitted_code and audited_code'
        WHEN finding = 'revise' AND submitted_code = audited_code
            THEN 'finding revise but submitted_code and audited_code are the same: use agree'
        WHEN finding = 'add' AND (submitted_code IS NOT NULL OR audited_code IS NULL)
            THEN 'finding add needs audited_code only (submitted_code must be blank)'
        WHEN finding = 'delete' AND (submitted_code IS NULL OR audited_code IS NOT NULL)
            THEN 'finding delete needs submitted_code only (audited_code must be blank)'
        WHEN finding = 'agree' AND error_category IS NOT NULL
            THEN format('error_category ''{}'' must be blank when finding is agree', shape(error_category))
        WHEN finding <> 'agree' AND error_category IS NULL
            THEN format('error_category is missing for finding {} ({} or {})', finding,
                        array_to_string(error_categories()[:-2], ', '), error_categories()[-1])
        WHEN NOT list_contains(error_categories(), error_category)
            THEN format('error_category ''{}'' is not one of {}', shape(error_category), array_to_string(error_categories(), ', '))
        WHEN dollar_amount(dollar_impact_text) IS NULL
            THEN format('dollar_impact ''{}'' is not a signed decimal with at most 2 decimals (negative = overpaid)', shape(dollar_impact_text))
    END;
