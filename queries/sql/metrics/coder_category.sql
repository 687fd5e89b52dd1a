-- Code-level errors per coder and category, beside the coder's code-level findings. DRG findings are
-- left out on both sides (their denominator is DRG findings: see drg_accuracy).
SELECT coder_id, coalesce(error_category, 'none') AS error_category,
       count(*) FILTER (WHERE finding <> 'agree') AS errors,
       sum(count(*)) OVER (PARTITION BY coder_id) AS coder_findings
FROM finding_facts
WHERE in_scope(service_date, facility_id, payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND code_type <> 'MSDRG'
GROUP BY coder_id, error_category
ORDER BY coder_id, error_category;
