-- Submitted diagnosis codes that are not billable ICD-10-CM codes, and why.
SELECT d.code, count(*) AS uses, count(DISTINCT d.claim_key) AS claims,
       CASE WHEN i.code IS NOT NULL THEN 'header code: not billable, needs more characters'
            ELSE 'not in the ICD-10-CM code set' END AS problem,
       i.description
FROM dx_facts AS d
LEFT JOIN icd10cm AS i USING (code)
WHERE in_scope(d.service_date, d.facility_id, d.payer, d.coder_id, d.encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
  AND NOT d.billable
GROUP BY d.code, i.code, i.description
ORDER BY uses DESC, d.code
LIMIT $limit;
