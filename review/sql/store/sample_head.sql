-- One sample without its frame (the frame's keys and strata are megabytes at millions of claims; only the frame
-- check, the frame export and a redraw read them: store/sample).
SELECT seq, sample_id, drawn_at, drawn_by, method, parameters, seed, generator, generator_version, frame_size, frame_sha256,
       strata, completed_at, completed_by, sample_sha256, voided_at, voided_by, void_reason
FROM samples WHERE sample_id = ?;
