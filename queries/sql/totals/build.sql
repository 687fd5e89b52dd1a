-- Each summary figure per month and scope key, written by every ingest right after claim_facts.sql (and added
-- by the benches to a store built before it): the sums of what each claim adds (claim_contributions,
-- claim_rules.sql), so a summary of whole months sums these rows instead of every claim (totals/summary.sql).
-- The key holds claim_flags (at most 16 lists of the 4 flags), so a scope narrowed to flagged claims is
-- answered here too. Counts and decimal sums add exactly: a figure from these rows equals the scan's.
-- Stored as BIGINT and DECIMAL(18, s), which DuckDB reads many times faster than the HUGEINT and DECIMAL(38, s)
-- that sum() returns; a sum too large for them fails the ingest (a cast never rounds), it is never cut.
CREATE OR REPLACE TABLE claim_month_totals AS
SELECT service_month, facility_id, payer, coder_id, encounter_type, claim_flags,
       CAST(sum(COLUMNS(* EXCLUDE (service_date, service_month, facility_id, payer, coder_id, encounter_type, claim_flags,
                                   denied_amount, billed_amount, net_impact, overpaid, underpaid, billed_weight_sum)))
            AS BIGINT),
       CAST(sum(COLUMNS(['denied_amount', 'billed_amount', 'net_impact', 'overpaid', 'underpaid'])) AS DECIMAL(18, 2)),
       CAST(sum(billed_weight_sum) AS DECIMAL(18, 6))         AS billed_weight_sum
FROM claim_contributions('claim_facts')
GROUP BY service_month, facility_id, payer, coder_id, encounter_type, claim_flags
ORDER BY service_month, facility_id, payer, coder_id, encounter_type;
