-- Stored in the store by every ingest (after claim_facts.sql); every metric query in queries/sql/metrics/
-- filters with it, so the scope means the same thing in every metric.
-- The claim scope every metric query applies: inclusive dates (NULL = open), lists (empty = all).
CREATE OR REPLACE MACRO in_scope(service_date, facility_id, payer, coder_id, encounter_type,
                                 date_from, date_to, facilities, payers, coders, encounter_types) AS
    (date_from IS NULL OR service_date >= date_from)
    AND (date_to IS NULL OR service_date <= date_to)
    AND (len(facilities) = 0 OR list_contains(facilities, facility_id))
    AND (len(payers) = 0 OR list_contains(payers, payer))
    AND (len(coders) = 0 OR list_contains(coders, coder_id))
    AND (len(encounter_types) = 0 OR list_contains(encounter_types, encounter_type));
