-- A sample voided with its reason (who, when, why): it stays, with its reviews, but no longer counts as
-- "already audited", takes no further reviews and has no appraisal (review/lifecycle.py).
ALTER TABLE samples ADD COLUMN voided_at TEXT;
ALTER TABLE samples ADD COLUMN voided_by TEXT;
ALTER TABLE samples ADD COLUMN void_reason TEXT;
-- A claim to review that cannot be reviewed (record not available, ...), replaced by the first unused spare of
-- its stratum, in the order the replacements were made (a spare in use may itself be replaced by the next).
CREATE TABLE sample_replacements (
    sample_id    TEXT NOT NULL,
    replaced_key TEXT NOT NULL,
    spare_key    TEXT NOT NULL,
    reason       TEXT NOT NULL,
    replaced_by  TEXT NOT NULL,
    replaced_at  TEXT NOT NULL,                      -- ISO 8601 UTC
    PRIMARY KEY (sample_id, replaced_key),
    UNIQUE (sample_id, spare_key)
);
