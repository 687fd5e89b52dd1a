-- The polars baseline's copy of the claim_facts columns the denial measures beside errors by payer and by facility
-- read (queries/sql/errors/denials.sql).
SELECT payer, facility_id, service_date, denied, coding_denied FROM claim_facts;
