-- A new revision (a draft, or a completed one made by a rebuttal decision).
INSERT INTO revisions (review_id, revision, status, author, saved_at, completed_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?);
