-- The code-set and grouper versions behind the exported rows: the MS-DRG grouper releases that grouped them,
-- the fiscal years of the DRG weights and whether any are the demo's made-up ones, and the ICD-10-CM code set's size.
SELECT
    (SELECT list(DISTINCT grouper_version ORDER BY grouper_version) FROM store.main.claim_drg WHERE grouper_version IS NOT NULL) AS grouper_versions,
    (SELECT list(DISTINCT fiscal_year ORDER BY fiscal_year) FROM store.main.drg_weights)                                    AS weight_years,
    (SELECT coalesce(bool_or(synthetic), FALSE) FROM store.main.drg_weights)                                               AS synthetic_weights,
    (SELECT count(*) FROM store.main.icd10cm)                                                                            AS icd10cm_codes,
    (SELECT count(*) FILTER (WHERE billable) FROM store.main.icd10cm)                                                     AS icd10cm_billable;
