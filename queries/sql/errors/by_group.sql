-- Findings, errors (findings that are not `agree`), overpaid and underpaid dollars (negative and positive
-- dollar_impact summed apart) per group of one level, per month when $by_month, with the error categories
-- of each group largest first (categories, category_errors: parallel lists). Needs errors/family_rows.sql.
WITH fam AS (
    SELECT grp, CASE WHEN $by_month THEN strftime(service_month, '%Y-%m') END AS month, finding, error_category, dollar_impact
    FROM error_family_rows($level, $one_group, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
),
totals AS (
    SELECT grp, month, count(*) AS findings, count(*) FILTER (WHERE finding <> 'agree') AS errors,
           coalesce(sum(dollar_impact) FILTER (WHERE dollar_impact < 0), 0) AS overpaid,
           coalesce(sum(dollar_impact) FILTER (WHERE dollar_impact > 0), 0) AS underpaid
    FROM fam
    GROUP BY grp, month
),
categories AS (
    SELECT grp, month, list(error_category ORDER BY errors DESC, error_category) AS categories,
           list(errors ORDER BY errors DESC, error_category) AS category_errors
    FROM (SELECT grp, month, error_category, count(*) AS errors FROM fam WHERE finding <> 'agree' GROUP BY ALL)
    GROUP BY grp, month
)
SELECT t.grp, t.month, t.findings, t.errors, t.overpaid, t.underpaid,
       coalesce(c.categories, []) AS categories, coalesce(c.category_errors, []) AS category_errors
FROM totals AS t
LEFT JOIN categories AS c ON c.grp = t.grp AND c.month IS NOT DISTINCT FROM t.month
ORDER BY t.grp, t.month;
