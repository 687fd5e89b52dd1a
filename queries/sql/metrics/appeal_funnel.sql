-- From denial to appeal outcome, by rows and dollars.
SELECT stage, denial_rows, denied_amount FROM (
    SELECT 1 AS ord, 'denied' AS stage, count(*) AS denial_rows, coalesce(sum(denied_amount), 0) AS denied_amount
    FROM denial_facts WHERE in_scope(service_date, facility_id, claim_payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type) AND is_denial
    UNION ALL
    SELECT 2, 'appealed', count(*), coalesce(sum(denied_amount), 0)
    FROM denial_facts WHERE in_scope(service_date, facility_id, claim_payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type) AND is_denial AND appeal_status IS NOT NULL
    UNION ALL
    SELECT 3, 'decided', count(*), coalesce(sum(denied_amount), 0)
    FROM denial_facts WHERE in_scope(service_date, facility_id, claim_payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type) AND is_denial AND appeal_status IN ('overturned', 'upheld')
    UNION ALL
    SELECT 4, 'overturned', count(*), coalesce(sum(denied_amount), 0)
    FROM denial_facts WHERE in_scope(service_date, facility_id, claim_payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type) AND is_denial AND appeal_status = 'overturned'
)
ORDER BY ord;
