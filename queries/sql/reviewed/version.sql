-- SQLite, on the review store: the publication version.
SELECT version FROM publication;
