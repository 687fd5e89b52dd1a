-- SQLite, on the review store: the publication version, from the feed review/ hands the metrics
-- (review/sql/store/migrations/0700_metrics_feed.sql); only the feed's views are named here.
SELECT version FROM metrics_feed_version;
