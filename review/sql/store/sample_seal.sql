-- Keep the SHA-256 of a sample as drawn, computed from the rows just stored, and its frame. The frame (megabytes
-- at millions of claims) is written here and not by store/sample_insert: SQLite rewrites a whole row, blob
-- included, on any update, so setting the seal after inserting the frame would write the frame twice.
UPDATE samples SET sample_sha256 = :sealed, frame = :frame, frame_strata = :frame_strata WHERE sample_id = :sample_id;
