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
-- A local account's second factor (audit/mfa.py): its TOTP secret, sealed by the PHI vault under the data keyring
-- (AES-256-GCM bound to users|<username>|totp_secret), never in plaintext. At most one per account.
CREATE TABLE IF NOT EXISTS second_factors (
    username    TEXT PRIMARY KEY REFERENCES users (username),
    key_id      TEXT NOT NULL,
    nonce       BLOB NOT NULL,
    ciphertext  BLOB NOT NULL,
    enrolled_at TEXT NOT NULL,                        -- ISO 8601 UTC
    last_step   INTEGER NOT NULL                      -- the last accepted code's time step: a code counts once
);
-- Recovery codes: each an argon2id hash, as passwords are; a code is used once.
CREATE TABLE IF NOT EXISTS recovery_codes (
    username  TEXT NOT NULL REFERENCES users (username),
    code_id   TEXT NOT NULL,                          -- the code's first group: finds its hash without trying all
    code_hash TEXT NOT NULL,
    used_at   TEXT,                                   -- ISO 8601 UTC, or NULL while unused
    PRIMARY KEY (username, code_id)
);
