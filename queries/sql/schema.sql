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
-- Columns added for DRG validation (docs/FORMAT.md); ADD COLUMN IF NOT EXISTS gives a store from before them
-- the same columns, in the same order, at its next write.
ALTER TABLE claims ADD COLUMN IF NOT EXISTS ms_drg VARCHAR;            -- billed MS-DRG, three digits
ALTER TABLE claims ADD COLUMN IF NOT EXISTS patient_sex VARCHAR;       -- M, F or U
ALTER TABLE claims ADD COLUMN IF NOT EXISTS discharge_status VARCHAR;  -- two-digit UB-04 patient discharge status
ALTER TABLE claims ADD COLUMN IF NOT EXISTS patient_age INTEGER;       -- years at admission, 90 = 90 or older
-- What the payer paid and allowed (docs/FORMAT.md); NULL when not known or not yet paid.
ALTER TABLE claims ADD COLUMN IF NOT EXISTS paid_amount DECIMAL(14, 2);
ALTER TABLE claims ADD COLUMN IF NOT EXISTS allowed_amount DECIMAL(14, 2);
-- The grouper's and the MCE's result per inpatient claim (ingest/grouping.py), replaced whenever the
-- claim or its codes are loaded again.
CREATE TABLE IF NOT EXISTS claim_drg (
    claim_key          VARCHAR NOT NULL,
    grouper_version    INTEGER,            -- 431 = MS-DRG v43.1; NULL when not grouped for want of a version or an input
    fiscal_year        INTEGER,            -- of the discharge date, October to September
    grouped_drg        VARCHAR,            -- three digits; 999 when the grouper found the claim ungroupable
    grouped_mdc        INTEGER,
    drg_family         VARCHAR,            -- the first DRG of its family: 291 for 291, 292, 293
    drg_title          VARCHAR,
    return_code        VARCHAR,            -- the grouper's (OK when grouped); NULL when it was not run
    ungroupable_reason VARCHAR,            -- NULL when grouped
    severity_split     BOOLEAN NOT NULL,   -- the DRG's family splits on CC/MCC severity
    cc_mcc_sdx         INTEGER NOT NULL,   -- secondary diagnoses of CC or MCC severity, as the grouper reports them
    cc_mcc_affecting   INTEGER NOT NULL,   -- of those, marked as affecting the final DRG
    mce_edit_type      VARCHAR             -- the MCE's NONE, PREPAYMENT, POSTPAYMENT or BOTH; NULL when not run
);
CREATE TABLE IF NOT EXISTS claim_drg_cc (  -- every secondary diagnosis of CC or MCC severity
    claim_key         VARCHAR NOT NULL,
    line              INTEGER NOT NULL,    -- its ICD10CM_DX line
    code              VARCHAR NOT NULL,
    severity          VARCHAR NOT NULL,    -- CC or MCC
    affects_final_drg BOOLEAN NOT NULL,
    excluded          BOOLEAN NOT NULL     -- a CC exclusion for this principal diagnosis
);
CREATE TABLE IF NOT EXISTS claim_mce_edits (
    claim_key VARCHAR NOT NULL,
    edit      VARCHAR NOT NULL,            -- E_CODE_AS_PDX, SEX_CONFLICT, INVALID_CODE, ...
    code_type VARCHAR NOT NULL,            -- DIAGNOSIS, PROCEDURE or BOTH
    edit_type VARCHAR NOT NULL,            -- PREPAYMENT or POSTPAYMENT
    codes     INTEGER NOT NULL             -- how many codes triggered it
);
-- MS-DRG relative weights by fiscal year, reloaded at every ingest from data/reference/ (queries/reference.py).
CREATE TABLE IF NOT EXISTS drg_weights (
    drg         VARCHAR NOT NULL,          -- three digits
    fiscal_year INTEGER NOT NULL,
    weight      DECIMAL(10, 6) NOT NULL,
    synthetic   BOOLEAN NOT NULL           -- the demo's made-up weights, not CMS values
);
-- 835 remittances (docs/FORMAT.md, "X12 835 remittances"): which remittance a denial row came from, all its
-- remark codes, and per claim and payer the adjudication that stands, net of reversals.
ALTER TABLE denials ADD COLUMN IF NOT EXISTS trace_number VARCHAR;  -- TRN02; NULL for denials.csv rows
ALTER TABLE denials ADD COLUMN IF NOT EXISTS remark_codes VARCHAR;  -- every RARC of the adjustment, space-separated
CREATE TABLE IF NOT EXISTS remittances (
    claim_key      VARCHAR NOT NULL,
    payer          VARCHAR NOT NULL,       -- N1*PR name
    payer_id       VARCHAR,                -- N1*PR04, else REF*2U
    remit_date     DATE NOT NULL,          -- DTM*405, else BPR16
    trace_number   VARCHAR NOT NULL,       -- TRN02
    claim_status   VARCHAR NOT NULL,       -- CLP02; 22 = reversed, nothing stands
    charge_amount  DECIMAL(14, 2),         -- CLP03
    paid_amount    DECIMAL(14, 2),         -- CLP04
    allowed_amount DECIMAL(14, 2)          -- AMT*AU, else the services' AMT*B6 summed
);
CREATE TABLE IF NOT EXISTS paid_from_remittance (claim_key VARCHAR NOT NULL);  -- claims whose paid/allowed came from an 835
-- The store's last write (ingest/swap.py): the run_id of the ingest that made it, or another writer's id.
CREATE TABLE IF NOT EXISTS last_write (
    write_id   VARCHAR NOT NULL,
    written_at TIMESTAMPTZ NOT NULL
);
