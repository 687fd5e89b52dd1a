-- Blind review (review/blind.py): a review revision the auditor chose to code from the record before seeing the
-- coder's codes. started_*: when the codes were hidden; saved_*: when the auditor's own codes were saved (NULL
-- while the coder's codes are still hidden). Codes are not PHI and there is no free text: nothing here is sealed.
CREATE TABLE IF NOT EXISTS blind_reviews (
    review_id   TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    started_by  TEXT NOT NULL,
    started_at  TEXT NOT NULL,                        -- ISO 8601 UTC
    saved_by    TEXT,
    saved_at    TEXT,
    audited_drg TEXT,                                 -- the MS-DRG the auditor abstracted (inpatient), three digits
    PRIMARY KEY (review_id, revision)
);
-- The auditor's blind codes, undotted upper case: ICD10CM_DX in the order entered (position 1 = principal) with
-- POA (NULL = exempt), then ICD10PCS in the order entered.
CREATE TABLE IF NOT EXISTS blind_codes (
    review_id TEXT NOT NULL,
    revision  INTEGER NOT NULL,
    code_type TEXT NOT NULL,                          -- ICD10CM_DX | ICD10PCS
    position  INTEGER NOT NULL,
    code      TEXT NOT NULL,
    poa       TEXT,
    PRIMARY KEY (review_id, revision, code_type, position)
);
