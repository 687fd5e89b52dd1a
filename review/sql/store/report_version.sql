-- One frozen report version with its PDF bytes.
SELECT sample_id, version, frozen_at, frozen_by, reason, content, changes, pdf, sha256
FROM sample_reports WHERE sample_id = ? AND version = ?;
