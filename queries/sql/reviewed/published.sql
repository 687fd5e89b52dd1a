-- SQLite, on the review store (review/sql/store/schema.sql is its schema): the findings it publishes for the
-- metrics, and the version a reader compares to know when to reload.
SELECT claim_key, review_id, revision, finding_id, auditor_id, review_date, code_type, submitted_code, audited_code,
       finding, error_category, dollar_impact, window_closes_at, rebuttal, final_after
FROM published_findings;
