-- The store. Analytic tables hold pseudonymous claim keys only; PHI lives encrypted in phi_vault.
CREATE TABLE IF NOT EXISTS claims (
    claim_key      VARCHAR NOT NULL,   -- HMAC-SHA256 pseudonym of the source claim_id
    facility_id    VARCHAR NOT NULL,
    payer          VARCHAR NOT NULL,
    coder_id       VARCHAR NOT NULL,
    encounter_type VARCHAR NOT NULL,
    service_date   DATE NOT NULL,
    discharge_date DATE,
    billed_amount  DECIMAL(14, 2) NOT NULL
);
CREATE TABLE IF NOT EXISTS claim_codes (
    claim_key VARCHAR NOT NULL,
    line      INTEGER NOT NULL,
    code_type VARCHAR NOT NULL,
    code      VARCHAR NOT NULL,        -- normalised: trimmed, upper case, no dots
    poa       VARCHAR,
    modifiers VARCHAR,
    units     INTEGER
);
CREATE TABLE IF NOT EXISTS audit_findings (
    claim_key      VARCHAR NOT NULL,
    review_id      VARCHAR NOT NULL,
    auditor_id     VARCHAR NOT NULL,
    review_date    DATE NOT NULL,
    code_type      VARCHAR NOT NULL,
    submitted_code VARCHAR,
    audited_code   VARCHAR,
    finding        VARCHAR NOT NULL,
    error_category VARCHAR,
    dollar_impact  DECIMAL(14, 2) NOT NULL
);
CREATE TABLE IF NOT EXISTS denials (
    claim_key     VARCHAR NOT NULL,
    occurrence    INTEGER NOT NULL,    -- nth identical adjustment of the claim on the same remittance
    payer         VARCHAR NOT NULL,
    remit_date    DATE NOT NULL,
    group_code    VARCHAR NOT NULL,
    carc          VARCHAR NOT NULL,
    rarc          VARCHAR,
    denied_amount DECIMAL(14, 2) NOT NULL,
    appeal_status VARCHAR
);
CREATE TABLE IF NOT EXISTS phi_vault (
    claim_key  VARCHAR NOT NULL,
    field      VARCHAR NOT NULL,       -- claim_id | patient_mrn | patient_name | patient_dob | patient_zip
    key_id     VARCHAR NOT NULL,
    nonce      BLOB NOT NULL,
    ciphertext BLOB NOT NULL           -- AES-256-GCM, associated data = 'phi_vault|claim_key|field'
);
CREATE TABLE IF NOT EXISTS ingest_runs (
    run_id      VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,      -- 'demo' or 'real'
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    summary     JSON NOT NULL          -- accepted and rejected counts per file
);
CREATE TABLE IF NOT EXISTS rejects (
    run_id     VARCHAR NOT NULL,
    file       VARCHAR NOT NULL,
    line       BIGINT,                 -- line in the CSV file (header = line 1) or row number in Parquet
    reason     VARCHAR NOT NULL,       -- never quotes a PHI value
    key_id     VARCHAR,
    nonce      BLOB,
    ciphertext BLOB                    -- the raw row, encrypted: rejected, not lost
);
