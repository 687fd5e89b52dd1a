-- Every revision of a review, oldest first.
SELECT revision, status, author, saved_at, completed_at, reason FROM revisions WHERE review_id = ? ORDER BY revision;
