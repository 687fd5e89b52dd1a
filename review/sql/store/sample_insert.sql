-- A drawn sample.
INSERT INTO samples (sample_id, drawn_at, drawn_by, method, parameters, seed, generator, generator_version,
                     frame_size, frame_sha256, strata, frame, frame_strata)
VALUES (:sample_id, :drawn_at, :drawn_by, :method, :parameters, :seed, :generator, :generator_version,
        :frame_size, :frame_sha256, :strata, :frame, :frame_strata);
