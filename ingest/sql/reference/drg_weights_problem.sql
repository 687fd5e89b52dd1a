-- The first line of the staged weights file that breaks a rule, with the reason; no row when all are good.
-- Weights are public reference data, not PHI, so reasons may quote them.
WITH checked AS (
    SELECT line, trim(drg) AS drg, trim(fiscal_year) AS fiscal_year, trim(weight) AS weight,
           count(*) OVER (PARTITION BY try_cast(trim(drg) AS INTEGER), trim(fiscal_year)) AS copies
    FROM drg_weights_raw
)
SELECT line,
    CASE
        WHEN NOT regexp_full_match(coalesce(drg, ''), '\d{1,3}') OR try_cast(drg AS INTEGER) = 0
            THEN format('drg ''{}'' is not an MS-DRG number (1 to 3 digits)', drg)
        WHEN NOT regexp_full_match(coalesce(fiscal_year, ''), '20\d{2}')
            THEN format('fiscal_year ''{}'' is not a year such as 2026', fiscal_year)
        WHEN NOT regexp_full_match(coalesce(weight, ''), '\d{1,3}(\.\d{1,6})?') OR try_cast(weight AS DOUBLE) <= 0
            THEN format('weight ''{}'' is not a positive decimal such as 1.2345', weight)
        WHEN copies > 1 THEN format('DRG {} has more than one weight for fiscal year {}', drg, fiscal_year)
    END AS reason
FROM checked
WHERE reason IS NOT NULL
ORDER BY line
LIMIT 1
