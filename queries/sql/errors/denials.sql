-- The claims' denial counts beside errors by payer or by facility: a template whose {group_column} is payer or
-- facility_id (queries.error_families.DENIAL_LEVELS, an allow-list), grouped on directly. The same counts as
-- the headline summary's (metrics/summary.sql) for the same scope and group, without its other 30.
SELECT {group_column}                          AS grp,
       count(*)                                AS claims,
       count(*) FILTER (WHERE denied)          AS denied_claims,
       count(*) FILTER (WHERE coding_denied)   AS coding_denied_claims
FROM claim_facts
WHERE in_scope(service_date, facility_id, payer, coder_id, encounter_type,
               $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
GROUP BY grp;
