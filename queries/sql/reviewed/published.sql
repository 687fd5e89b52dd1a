-- SQLite, on the review store: the findings it publishes for the metrics, from the feed review/ hands them
-- (review/sql/store/migrations/0700_metrics_feed.sql); only the feed's views are named here.
SELECT claim_key, review_id, revision, finding_id, auditor_id, review_date, code_type, submitted_code, audited_code,
       finding, error_category, dollar_impact, window_closes_at, rebuttal, final_after
FROM metrics_feed_findings;
