-- The organisation's code-level findings and agreements in a scope, around which the funnel is drawn: the
-- headline summary's `findings` and `findings_agree` (metrics/summary.sql), read alone.
SELECT CAST(coalesce(sum(findings), 0) AS BIGINT) AS findings, CAST(coalesce(sum(findings_agree), 0) AS BIGINT) AS findings_agree
FROM claim_facts
WHERE in_scope(service_date, facility_id, payer, coder_id, encounter_type,
               $date_from, $date_to, $facility, $payer, $coder, $encounter_type);
