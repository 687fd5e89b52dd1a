-- One finding of a revision.
INSERT INTO findings (review_id, revision, finding_id, position, code_type, submitted_code, audited_code, finding,
                      error_category, dollar_impact)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
