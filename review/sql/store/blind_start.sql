-- Hide the coder's codes of a review revision until the auditor's own are saved (once).
INSERT OR IGNORE INTO blind_reviews (review_id, revision, started_by, started_at) VALUES (?, ?, ?, ?);
