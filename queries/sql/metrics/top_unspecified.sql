-- Most used unspecified codes, with the more specific billable codes of the same category.
WITH top AS (
    SELECT code, count(*) AS uses
    FROM dx_facts
    WHERE in_scope(service_date, facility_id, payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
      AND unspecified
    GROUP BY code
    ORDER BY uses DESC, code
    LIMIT $limit
)
SELECT t.code, i.code_dotted, i.description, t.uses, i.category,
       (SELECT count(*) FROM icd10cm AS s WHERE s.category = i.category AND s.billable AND NOT s.unspecified) AS specific_alternatives,
       (SELECT list(s.code_dotted ORDER BY s.code)[1:8] FROM icd10cm AS s WHERE s.category = i.category AND s.billable AND NOT s.unspecified) AS examples
FROM top AS t JOIN icd10cm AS i USING (code)
ORDER BY t.uses DESC, t.code;
