-- The claims' denial counts beside errors by payer or by facility: a template whose {group_column} is payer or
-- facility_id (queries.error_families.DENIAL_LEVELS, an allow-list), grouped on directly. The same counts as
-- the headline summary's (metrics/summary.sql) for the same scope and group, without its other 30. count_if,
-- cast back from HUGEINT, costs less than count(*) FILTER for the same counts (as in metrics/peer_counts.sql).
SELECT {group_column}                          AS grp,
       count(*)                                AS claims,
       CAST(count_if(denied) AS BIGINT)        AS denied_claims,
       CAST(count_if(coding_denied) AS BIGINT) AS coding_denied_claims
FROM claim_facts
WHERE in_scope(service_date, facility_id, payer, coder_id, encounter_type,
               $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
GROUP BY grp;
