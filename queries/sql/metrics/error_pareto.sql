-- Audit errors (every finding that is not agree, DRG findings included) by error category, largest first.
SELECT error_category, count(*) AS errors,
       count(*) / sum(count(*)) OVER () AS share,
       sum(count(*)) OVER (ORDER BY count(*) DESC, error_category ROWS UNBOUNDED PRECEDING) / sum(count(*)) OVER () AS cumulative_share,
       sum(dollar_impact) AS net_impact
FROM finding_facts
WHERE in_scope(service_date, facility_id, payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND finding <> 'agree'
GROUP BY error_category
ORDER BY errors DESC, error_category;
