-- Bulk generator for benchmarks: getvariable('claims') claims with 5 code lines each (4 diagnoses, 1 procedure),
-- about 10% audited, 12% denied, each claim paid 40% to 95% of its billed amount. Reproducible (hash-based), no PHI at all (no vault rows).
CREATE OR REPLACE TEMP TABLE dx_pool AS
SELECT row_number() OVER (ORDER BY hash(code)) - 1 AS idx, code
FROM ((SELECT code FROM icd10cm WHERE billable AND chapter IN ('4', '9', '10', '11', '13', '18', '21') ORDER BY hash(code) LIMIT 1500)
      UNION ALL SELECT unnest(['E11', 'I25', 'J44', 'ZZZ99']) AS code);

INSERT INTO claims (claim_key, facility_id, payer, coder_id, encounter_type, service_date, discharge_date, billed_amount,
                    paid_amount)
SELECT substr(md5(CAST(i AS VARCHAR)), 1, 24),
       'FAC-' || (hash(i, 1) % 5),
       ['Medicare', 'Medicaid', 'Blue Ridge Health', 'Summit Commercial', 'Harbor Mutual', 'Self-pay'][CAST(1 + hash(i, 2) % 6 AS BIGINT)],
       'C' || lpad(CAST(1 + hash(i, 3) % 50 AS VARCHAR), 3, '0'),
       ['inpatient', 'outpatient', 'professional'][CAST(1 + hash(i, 4) % 3 AS BIGINT)],
       DATE '2024-09-01' + CAST(hash(i, 5) % 790 AS INTEGER),
       NULL,
       CAST(100 + hash(i, 6) % 20000 AS DECIMAL(14, 2)),
       CAST((100 + hash(i, 6) % 20000) * (40 + hash(i, 14) % 56) / 100 AS DECIMAL(14, 2))
FROM range(getvariable('claims')) AS t(i)
ORDER BY 1;  -- in claim_key order, as an ingest writes them (ingest/sql/ingest/upsert.sql)

INSERT INTO claim_codes
SELECT l.claim_key, l.line + 1, CASE WHEN l.line < 4 THEN 'ICD10CM_DX' ELSE 'CPT' END,
       CASE WHEN l.line < 4 THEN p.code ELSE '99213' END, NULL, NULL, NULL
-- Each line's pool index is a column before the join, so the join is on one column (a hash join). Written as a
-- join condition on the claim and the line, DuckDB joined the pool to the five lines first and then compared
-- every claim with all 7,520 of those rows (83 s for 1M claims, hours for 20M). The rows are the same.
FROM (SELECT c.claim_key, r.line, CAST(hash(c.claim_key, r.line) % 1504 AS BIGINT) AS idx
      FROM claims AS c CROSS JOIN range(5) AS r(line)) AS l
JOIN dx_pool AS p ON p.idx = l.idx
ORDER BY l.claim_key, l.line;  -- in the order an ingest writes them

INSERT INTO audit_findings
SELECT c.claim_key, 'R' || c.claim_key, 'A01', k.service_date + 30, c.code_type, c.code,
       CASE WHEN hash(c.claim_key, c.line, 9) % 100 < 93 THEN c.code ELSE c.code || '9' END,
       CASE WHEN hash(c.claim_key, c.line, 9) % 100 < 93 THEN 'agree' ELSE 'revise' END,
       CASE WHEN hash(c.claim_key, c.line, 9) % 100 < 93 THEN NULL ELSE ['specificity', 'wrong_code', 'sequencing', 'poa'][CAST(1 + hash(c.claim_key, 7) % 4 AS BIGINT)] END,
       CASE WHEN hash(c.claim_key, c.line, 9) % 100 < 93 THEN 0 ELSE -50 END
FROM claim_codes AS c
JOIN claims AS k USING (claim_key)
WHERE hash(c.claim_key, 8) % 10 = 0;

INSERT INTO denials
SELECT claim_key, 1, payer, service_date + 20, ['CO', 'CO', 'OA', 'PI', 'PR'][CAST(1 + hash(claim_key, 10) % 5 AS BIGINT)],
       ['16', '50', '197', '45', '97', '1'][CAST(1 + hash(claim_key, 11) % 6 AS BIGINT)], NULL,
       CAST(billed_amount * 0.4 AS DECIMAL(14, 2)),
       [NULL, 'pending', 'overturned', 'upheld'][CAST(1 + hash(claim_key, 12) % 4 AS BIGINT)], NULL, NULL
FROM claims
WHERE hash(claim_key, 13) % 100 < 15;
