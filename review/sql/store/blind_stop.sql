-- Leave a blind review before any codes are saved: the coder's codes are shown again.
DELETE FROM blind_reviews WHERE review_id = ? AND revision = ? AND saved_at IS NULL;
