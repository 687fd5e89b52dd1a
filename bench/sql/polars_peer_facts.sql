-- The polars baseline's copy of the claim_facts columns the peer percentiles read (queries/sql/metrics/peer_counts.sql).
SELECT coder_id, facility_id, service_date, findings, findings_agree, dx_codes, unspecified_dx, cc_mcc_rests, single_cc_mcc,
       inpatient AND billed_drg IS NOT NULL AS billed_drg, drg_mismatch, coding_denied
FROM claim_facts;
