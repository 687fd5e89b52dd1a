-- A reader's own view of the findings (queries/reviewed.py): the store's imported findings and the final
-- reviewed findings published by the review store, combined so every metric query reads both. Loaded into
-- the reader's in-memory DuckDB from the arrow table reviewed_published, with $now. TEMP objects shadow the
-- store's tables of the same name for unqualified queries; store.main.* names the store's own.

-- Published findings typed as the store types them; final when final_after has passed.
CREATE OR REPLACE TEMP TABLE reviewed_all AS
SELECT claim_key, review_id, CAST(revision AS INTEGER) AS revision, finding_id, auditor_id,
       CAST(review_date AS DATE) AS review_date, code_type, submitted_code, audited_code, finding, error_category,
       CAST(dollar_impact AS DECIMAL(14, 2)) AS dollar_impact, CAST(window_closes_at AS TIMESTAMPTZ) AS window_closes_at,
       rebuttal, CAST(final_after AS TIMESTAMPTZ) AS final_after,
       final_after IS NOT NULL AND CAST(final_after AS TIMESTAMPTZ) <= $now AS final
FROM reviewed_published
WHERE claim_key IN (SELECT claim_key FROM store.main.claims);
