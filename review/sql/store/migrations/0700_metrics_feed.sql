-- The metrics feed: what review/ hands the readers of the metrics (queries/reviewed.py), the only names in this
-- store they may read. review/ may change its tables as it needs; these two views keep their names and
-- columns (tests/queries/test_reviewed_contract.py holds them to queries.reviewed.PUBLISHED).
-- metrics_feed_version: one row, the publication version, bumped by every change readers must reload for.
CREATE VIEW metrics_feed_version (version) AS
SELECT version FROM publication;
-- metrics_feed_findings: the findings of each claim's latest completed revision, with final_after (NULL while a
-- rebuttal is pending; else the time after which they are final). Times ISO 8601 UTC, dollar_impact a decimal
-- string.
CREATE VIEW metrics_feed_findings (claim_key, review_id, revision, finding_id, auditor_id, review_date, code_type,
                                   submitted_code, audited_code, finding, error_category, dollar_impact,
                                   window_closes_at, rebuttal, final_after) AS
SELECT claim_key, review_id, revision, finding_id, auditor_id, review_date, code_type, submitted_code, audited_code,
       finding, error_category, dollar_impact, window_closes_at, rebuttal, final_after
FROM published_findings;
