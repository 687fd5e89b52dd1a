-- Findings, errors (findings that are not `agree`), overpaid and underpaid dollars (negative and positive
-- dollar_impact summed apart) per group of one level, per month when $by_month, with the error categories
-- of each group largest first (categories, category_errors: parallel lists); $one_group NULL keeps every
-- group. Needs errors/family_rows.sql.
-- One pass over the findings: they are counted per family key, month and error category (cells), each cell's
-- key is looked up once, and the cells are added up per group. Counts and decimal sums add exactly, so this
-- equals counting each finding in its group. Rows come by group name (then month): errors_by sorts them by
-- errors with a stable sort, so groups with as many errors stay in name order.
WITH cells AS (
    SELECT family_key, cpt_key, CASE WHEN $by_month THEN service_month END AS month, error_category,
           count(*) AS findings, count(*) FILTER (WHERE finding <> 'agree') AS errors,
           sum(dollar_impact) FILTER (WHERE dollar_impact < 0) AS overpaid,
           sum(dollar_impact) FILTER (WHERE dollar_impact > 0) AS underpaid
    FROM error_family_keyed($level, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
    GROUP BY ALL
),
grouped AS (
    SELECT error_family_group($level, c.family_key, c.cpt_key, i.chapter, i.block) AS grp,
           c.month, c.error_category, c.findings, c.errors, c.overpaid, c.underpaid
    FROM cells AS c
    LEFT JOIN icd10cm AS i ON $level IN ('chapter', 'block') AND i.code = c.family_key
),
categories AS (
    SELECT grp, month, error_category, sum(findings) AS findings, sum(errors) AS errors, sum(overpaid) AS overpaid,
           sum(underpaid) AS underpaid
    FROM grouped
    WHERE grp IS NOT NULL AND ($one_group IS NULL OR grp = $one_group)
    GROUP BY ALL
)
SELECT grp, strftime(month, '%Y-%m') AS month, CAST(sum(findings) AS BIGINT) AS findings, CAST(sum(errors) AS BIGINT) AS errors,
       coalesce(sum(overpaid), 0) AS overpaid, coalesce(sum(underpaid), 0) AS underpaid,
       coalesce(list(error_category ORDER BY errors DESC, error_category) FILTER (WHERE errors > 0), []) AS categories,
       coalesce(list(CAST(errors AS BIGINT) ORDER BY errors DESC, error_category) FILTER (WHERE errors > 0), []) AS category_errors
FROM categories
GROUP BY grp, month
ORDER BY grp, month;
