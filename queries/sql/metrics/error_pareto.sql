-- Audit errors (every finding that is not agree, DRG findings included) by error category, largest first:
-- by count (errors, share, cumulative_share) and by dollars at stake (dollars = sum of |dollar_impact|, so an
-- overpayment and an underpayment both count; dollar_share, dollar_cumulative_share in the order of dollars). The dollar
-- shares divide as DOUBLE, as DuckDB divides decimals (Spark would keep a decimal quotient of six places).
SELECT error_category, count(*) AS errors,
       count(*) / sum(count(*)) OVER () AS share,
       sum(count(*)) OVER (ORDER BY count(*) DESC, error_category ROWS UNBOUNDED PRECEDING) / sum(count(*)) OVER () AS cumulative_share,
       sum(dollar_impact) AS net_impact,
       sum(abs(dollar_impact)) AS dollars,
       CAST(sum(abs(dollar_impact)) AS DOUBLE) / NULLIF(sum(sum(abs(dollar_impact))) OVER (), 0) AS dollar_share,
       CAST(sum(sum(abs(dollar_impact))) OVER (ORDER BY sum(abs(dollar_impact)) DESC, error_category ROWS UNBOUNDED PRECEDING) AS DOUBLE)
           / NULLIF(sum(sum(abs(dollar_impact))) OVER (), 0) AS dollar_cumulative_share
FROM finding_facts
WHERE in_scope(service_date, facility_id, payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND finding <> 'agree'
GROUP BY error_category
ORDER BY errors DESC, error_category;
