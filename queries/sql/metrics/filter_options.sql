-- Values the sidebar filters offer.
SELECT
    (SELECT min(service_date) FROM claim_facts) AS min_date,
    (SELECT max(service_date) FROM claim_facts) AS max_date,
    (SELECT list(DISTINCT facility_id ORDER BY facility_id) FROM claim_facts) AS facilities,
    (SELECT list(DISTINCT payer ORDER BY payer) FROM claim_facts) AS payers,
    (SELECT list(DISTINCT coder_id ORDER BY coder_id) FROM claim_facts) AS coders,
    (SELECT list(DISTINCT encounter_type ORDER BY encounter_type) FROM claim_facts) AS encounter_types;
