-- Frozen sample reports (review/report_versions.py): completing a sample stores its report as version 1; a later
-- change to the sample's results stores a new version beside the old ones. `content` is the report's text and
-- figures as JSON (pseudonymous claim keys only, never PHI), `pdf` the bytes rendered from it with the freeze
-- time as creation date, `sha256` their hash (also in the access-log event), `changes` what differs from the
-- version before (JSON list of sentences; empty for version 1).
CREATE TABLE IF NOT EXISTS sample_reports (
    sample_id  TEXT NOT NULL,
    version    INTEGER NOT NULL,
    frozen_at  TEXT NOT NULL,                      -- ISO 8601 UTC; the PDF's creation date
    frozen_by  TEXT NOT NULL,
    reason     TEXT NOT NULL,
    content    TEXT NOT NULL,
    changes    TEXT NOT NULL,
    pdf        BLOB NOT NULL,
    sha256     TEXT NOT NULL,
    PRIMARY KEY (sample_id, version)
);
