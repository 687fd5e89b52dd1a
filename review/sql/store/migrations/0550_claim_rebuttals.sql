-- Rebuttal per claim: a coder rebuts a claim's error findings together, in one claim rebuttal naming each
-- finding disputed (one row of rebuttals per finding, with its own comment), and the coding manager decides
-- the claim rebuttal once (each named finding accepted or rejected, in one decision). A rebuttal made before
-- rebuttals were per claim becomes a claim rebuttal of its own, with the same id and its decision.
CREATE TABLE claim_rebuttals (
    claim_rebuttal_id TEXT PRIMARY KEY,
    review_id         TEXT NOT NULL,
    coder_id          TEXT NOT NULL,
    rebutted_by       TEXT NOT NULL,
    rebutted_at       TEXT NOT NULL,                      -- ISO 8601 UTC
    decided_by        TEXT,                               -- NULL while pending
    decided_at        TEXT,
    decision_comment  TEXT,
    revision          INTEGER,                            -- the completed revision the decision made (NULL: none)
    regrouped_drg     TEXT                                -- the MS-DRG the claim's final codes group to after the decision
);
ALTER TABLE rebuttals ADD COLUMN claim_rebuttal_id TEXT;
INSERT INTO claim_rebuttals (claim_rebuttal_id, review_id, coder_id, rebutted_by, rebutted_at, decided_by, decided_at,
                             decision_comment, revision)
SELECT b.rebuttal_id, b.review_id, b.coder_id, b.rebutted_by, b.rebutted_at, b.decided_by, b.decided_at, b.decision_comment,
       (SELECT v.revision FROM revisions AS v
        WHERE v.review_id = b.review_id AND v.reason = 'rebuttal ' || b.rebuttal_id || ' accepted by ' || b.decided_by)
FROM rebuttals AS b;
UPDATE rebuttals SET claim_rebuttal_id = rebuttal_id;
CREATE INDEX rebuttals_of_claim_rebuttal ON rebuttals (claim_rebuttal_id);
CREATE INDEX claim_rebuttals_of_review ON claim_rebuttals (review_id);
