-- Local sign-in accounts (audit/users.py). WAL is persistent: readers never block the writer, so
-- `manage.py users ...` works while the dashboard runs.
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS users (
    username            TEXT PRIMARY KEY,
    role                TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    disabled            INTEGER NOT NULL DEFAULT 0,
    failed_attempts     INTEGER NOT NULL DEFAULT 0,   -- consecutive; reset by a successful sign-in
    locked_until        TEXT,                         -- ISO 8601 UTC, or NULL
    created_at          TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    coder_id            TEXT                          -- coder accounts: whose claims they see (claims.coder_id)
);
