-- The review store (review/db.py): samples, reviews with their revisions and findings, rebuttals, and the
-- findings published for the metrics. SQLite in WAL mode, like users.sqlite: saving a finding is a small
-- transaction that never waits for the DuckDB store's writer and never blocks a reader.
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS samples (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,  -- draw order: "earlier samples" for --exclude-audited
    sample_id         TEXT NOT NULL UNIQUE,
    drawn_at          TEXT NOT NULL,                      -- ISO 8601 UTC
    drawn_by          TEXT NOT NULL,
    method            TEXT NOT NULL,                      -- random | stratified | probe | per-coder
    parameters        TEXT NOT NULL,                      -- JSON: size, spares, strata_by, bands, allocation, filters, exclude_audited
    seed              REAL NOT NULL,
    generator         TEXT NOT NULL,
    generator_version TEXT NOT NULL,
    frame_size        INTEGER NOT NULL,
    frame_sha256      TEXT NOT NULL,
    strata            TEXT NOT NULL,                      -- JSON list: label, boundaries, universe, n, spares
    frame             BLOB NOT NULL,                      -- the frame keys in frame order, packed (review/frame_keys.py); older samples: zlib of the hashed bytes
    frame_strata      BLOB,                               -- zlib of each frame entry's stratum number, one a line (stratified only)
    completed_at      TEXT,
    completed_by      TEXT
);
CREATE TABLE IF NOT EXISTS sample_claims (
    sample_id      TEXT NOT NULL,
    selection      INTEGER NOT NULL,                      -- 1.. in selection order; spares follow the sample
    claim_key      TEXT NOT NULL,
    frame_position INTEGER NOT NULL,                      -- 1..N in the whole frame
    stratum        INTEGER NOT NULL,                      -- index into samples.strata (0 when not stratified)
    spare          INTEGER NOT NULL,
    PRIMARY KEY (sample_id, selection)
);
CREATE TABLE IF NOT EXISTS reviews (
    review_id  TEXT PRIMARY KEY,
    sample_id  TEXT NOT NULL,
    claim_key  TEXT NOT NULL,
    opened_by  TEXT NOT NULL,
    opened_at  TEXT NOT NULL,
    UNIQUE (sample_id, claim_key)
);
CREATE TABLE IF NOT EXISTS revisions (
    review_id    TEXT NOT NULL,
    revision     INTEGER NOT NULL,                        -- 1, 2, ...: a completed revision is never changed
    status       TEXT NOT NULL,                           -- draft | completed
    author       TEXT NOT NULL,
    saved_at     TEXT NOT NULL,
    completed_at TEXT,
    reason       TEXT NOT NULL DEFAULT '',                -- why a revision after the first was made
    PRIMARY KEY (review_id, revision)
);
CREATE TABLE IF NOT EXISTS findings (
    review_id      TEXT NOT NULL,
    revision       INTEGER NOT NULL,
    finding_id     TEXT NOT NULL,                         -- stable across revisions: what a rebuttal names
    position       INTEGER NOT NULL,
    code_type      TEXT NOT NULL,
    submitted_code TEXT,
    audited_code   TEXT,
    finding        TEXT NOT NULL,
    error_category TEXT,
    dollar_impact  TEXT NOT NULL,                         -- decimal text, e.g. '-120.00' (negative = overpaid)
    PRIMARY KEY (review_id, revision, finding_id)
);
CREATE TABLE IF NOT EXISTS rebuttals (
    rebuttal_id      TEXT PRIMARY KEY,
    review_id        TEXT NOT NULL,
    finding_id       TEXT NOT NULL,
    coder_id         TEXT NOT NULL,
    rebutted_by      TEXT NOT NULL,
    rebutted_at      TEXT NOT NULL,
    comment          TEXT NOT NULL,
    decision         TEXT,                                -- accepted | rejected | NULL while pending
    decided_by       TEXT,
    decided_at       TEXT,
    decision_comment TEXT
);
-- What the metrics read (queries/reviewed.py): the findings of each review's latest completed revision, with
-- when they become final. final_after: NULL while a rebuttal is pending; else the time after which the claim's
-- findings are final (its completion when nothing is left to rebut, else the end of the rebuttal window).
CREATE TABLE IF NOT EXISTS published_findings (
    claim_key        TEXT NOT NULL,
    review_id        TEXT NOT NULL,
    revision         INTEGER NOT NULL,
    finding_id       TEXT NOT NULL,
    auditor_id       TEXT NOT NULL,
    review_date      TEXT NOT NULL,
    code_type        TEXT NOT NULL,
    submitted_code   TEXT,
    audited_code     TEXT,
    finding          TEXT NOT NULL,
    error_category   TEXT,
    dollar_impact    TEXT NOT NULL,
    window_closes_at TEXT NOT NULL,
    rebuttal         TEXT,                                -- pending | accepted | rejected | NULL
    final_after      TEXT
);
CREATE TABLE IF NOT EXISTS publication (
    version INTEGER NOT NULL                              -- bumped by every change readers must reload for
);
INSERT INTO publication (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM publication);
-- Changes to this schema after its first release: review/sql/store/migrations/*.sql, applied once each, in
-- name order, by review/db.py (a store created before a change gains it when it is next opened).
CREATE TABLE IF NOT EXISTS schema_migrations (
    name       TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
);
