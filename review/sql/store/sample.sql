-- One sample with its frame.
SELECT seq, sample_id, drawn_at, drawn_by, method, parameters, seed, generator, generator_version, frame_size, frame_sha256,
       strata, completed_at, completed_by, frame, frame_strata, sample_sha256,
       voided_at, voided_by, void_reason
FROM samples WHERE sample_id = ?;
