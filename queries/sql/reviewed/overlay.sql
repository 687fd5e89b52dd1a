-- The rest of a reader's view of the findings (after overlay_published.sql): the final reviewed findings,
-- their per-claim aggregates, and the combined relations every metric query reads.

-- The final reviewed findings, as audit_findings rows.
CREATE OR REPLACE TEMP TABLE reviewed_findings AS
SELECT claim_key, review_id, auditor_id, review_date, code_type, submitted_code, audited_code, finding, error_category, dollar_impact
FROM reviewed_all WHERE final;

-- Their per-claim aggregates, by the rule claim_facts.sql uses (claim_rules.sql).
CREATE OR REPLACE TEMP TABLE reviewed_claim_facts AS
SELECT * FROM claim_findings_rollup('reviewed_findings', 'store.main.claim_codes');

-- Every finding with its source. Counts add; "all agree" and "reviewed" combine with AND and OR over the claim's
-- findings of both sources (the aggregates of claim_facts are decomposable, so nothing is recomputed).
CREATE OR REPLACE TEMP VIEW audit_findings AS
SELECT *, 'imported' AS source FROM store.main.audit_findings
UNION ALL BY NAME
SELECT *, 'reviewed' AS source FROM reviewed_findings;

-- The store's claim_facts rows of the reviewed claims as the store holds them (what totals/summary.sql takes
-- off the store's totals), then combined with the reviewed aggregates; each with the row's position in the
-- store's table (its rowid). Materialised at load, a few thousand rows, so that the view
-- below leaves every other row as the store holds it: a metric query scans the store's columns it names and
-- no more (no claim_key, no join on it, no computed columns), which is what keeps it near a scan's speed.
CREATE OR REPLACE TEMP TABLE reviewed_claim_originals AS
SELECT c.rowid AS fact_row, c.*
FROM store.main.claim_facts AS c
WHERE c.claim_key IN (SELECT claim_key FROM reviewed_claim_facts);

CREATE OR REPLACE TEMP TABLE reviewed_claim_rows AS
SELECT c.* REPLACE (
    c.findings + r.findings                                       AS findings,
    c.findings_agree + r.findings_agree                           AS findings_agree,
    c.drg_findings + r.drg_findings                               AS drg_findings,
    c.drg_agree + r.drg_agree                                     AS drg_agree,
    TRUE                                                          AS audited,
    CASE WHEN NOT c.audited THEN r.all_agree ELSE c.all_agree AND r.all_agree END AS all_agree,
    c.net_impact + coalesce(r.net_impact, 0)                      AS net_impact,
    c.overpaid + coalesce(r.overpaid, 0)                          AS overpaid,
    c.underpaid + coalesce(r.underpaid, 0)                        AS underpaid,
    c.principal_dx_reviewed OR r.principal_dx_reviewed            AS principal_dx_reviewed,
    CASE WHEN NOT r.principal_dx_reviewed THEN c.principal_dx_agree
         WHEN NOT c.principal_dx_reviewed THEN r.principal_dx_agree
         ELSE c.principal_dx_agree AND r.principal_dx_agree END   AS principal_dx_agree
)
FROM reviewed_claim_originals AS c
JOIN reviewed_claim_facts AS r USING (claim_key);

-- Every claim: the store's row, or the combined one for a reviewed claim (an anti-join on rowid, an integer
-- the scan produces without reading a column). Written as ANTI JOIN, not NOT IN: the same rows (a rowid is never
-- NULL), without the mark join and filter NOT IN plans, which cost every claim_facts query about 2 ms of CPU at
-- 10M code lines (bench/metrics.py).
CREATE OR REPLACE TEMP VIEW claim_facts AS
SELECT c.* FROM store.main.claim_facts AS c ANTI JOIN reviewed_claim_rows AS r ON r.fact_row = c.rowid
UNION ALL BY NAME
SELECT * EXCLUDE (fact_row) FROM reviewed_claim_rows;

CREATE OR REPLACE TEMP VIEW finding_facts AS
SELECT *, 'imported' AS source FROM store.main.finding_facts
UNION ALL BY NAME
SELECT f.claim_key, f.service_date, f.service_month, f.facility_id, f.payer, f.coder_id, f.encounter_type,
       r.review_id, r.auditor_id, r.review_date, r.code_type, r.submitted_code, r.audited_code,
       r.finding, r.error_category, r.dollar_impact, 'reviewed' AS source
FROM reviewed_findings AS r
JOIN reviewed_claim_rows AS f USING (claim_key);
