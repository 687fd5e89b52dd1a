-- A review revision's blind state, if it is (or was) reviewed blind.
SELECT started_by, started_at, saved_by, saved_at, audited_drg
FROM blind_reviews
WHERE review_id = ? AND revision = ?;
