-- A sample's frozen report versions, oldest first, without their PDF bytes.
SELECT sample_id, version, frozen_at, frozen_by, reason, content, changes, sha256
FROM sample_reports WHERE sample_id = ? ORDER BY version;
