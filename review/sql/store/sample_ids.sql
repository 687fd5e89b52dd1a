-- Every sample's id, in draw order (verify-log checks each).
SELECT sample_id FROM samples ORDER BY seq;
