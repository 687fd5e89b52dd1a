-- One published finding (see schema.sql).
INSERT INTO published_findings (claim_key, review_id, revision, finding_id, auditor_id, review_date, code_type, submitted_code,
                                audited_code, finding, error_category, dollar_impact, window_closes_at, rebuttal, final_after)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
