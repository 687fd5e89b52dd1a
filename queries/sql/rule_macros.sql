-- Rules shared by every validate_*.sql file. TEMP: they live in the ingest's in-memory connection only.

-- The shape of a value, for reject reasons: a header may be mislabelled, so any column may hold PHI and
-- no reason quotes a value as it is. Letters become A or a (any other non-ASCII character a), digits 9,
-- control characters ?; ASCII punctuation and spaces stay; at most 20 characters are shown. '2025/13/45' reads '9999/99/99'.
CREATE OR REPLACE TEMP MACRO shape(value) AS
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(left(value, 20),
        '[a-z]', 'a', 'g'), '[A-Z]', 'A', 'g'), '[0-9]', '9', 'g'), '[\x00-\x1F\x7F]', '?', 'g'), '[^\x00-\x7F]', 'a', 'g')
    || CASE WHEN length(value) > 20 THEN '...' ELSE '' END;

-- The code types of claim_codes (docs/FORMAT.md), and of audit findings: those and MSDRG. One list for the
-- rules of both files; queries.reference.CLAIM_CODE_TYPES names the same (tests/queries/test_code_types.py).
CREATE OR REPLACE TEMP MACRO claim_code_types() AS ['ICD10CM_DX', 'ICD10CM_ADMIT', 'ICD10PCS', 'CPT', 'HCPCS'];
CREATE OR REPLACE TEMP MACRO finding_code_types() AS list_append(claim_code_types(), 'MSDRG');

-- Every text value: at most 100 characters, no control characters (NUL, tab, CR, LF, ...).
CREATE OR REPLACE TEMP MACRO text_problem(name, value) AS
    CASE
        WHEN length(value) > 100 THEN name || ' is longer than 100 characters'
        WHEN regexp_matches(value, '[\x00-\x1F\x7F]') THEN name || ' holds a control character (such as NUL, a tab or a line break)'
    END;

-- A date of care, review or remittance: from 1990-01-01 to the day after the ingest ("today" is a parameter).
CREATE OR REPLACE TEMP MACRO date_problem(name, value, today) AS
    CASE
        WHEN value < DATE '1990-01-01' THEN name || ' is before 1990-01-01'
        WHEN value > today + 1 THEN name || ' is after ' || CAST(today + 1 AS VARCHAR) || ', the day after the ingest: a future date'
    END;

-- A date written YYYY-MM-DD that exists in the calendar, else NULL.
CREATE OR REPLACE TEMP MACRO iso_date(value) AS
    CASE WHEN regexp_full_match(value, '\d{4}-\d{2}-\d{2}') THEN try_cast(value AS DATE) END;
