-- The number of the newest draw (0 before any): a draw refuses to store if another came in meanwhile.
SELECT coalesce(max(seq), 0) FROM samples;
