-- Store a new frozen report version (never replaces one: the primary key refuses a second version N).
INSERT INTO sample_reports (sample_id, version, frozen_at, frozen_by, reason, content, changes, pdf, sha256)
VALUES (:sample_id, :version, :frozen_at, :frozen_by, :reason, :content, :changes, :pdf, :sha256);
