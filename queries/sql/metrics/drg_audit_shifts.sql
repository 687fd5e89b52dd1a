-- DRG changes found by audits: MSDRG findings that revise the DRG, by (billed, revised) pair, most frequent
-- first, with the sum of the relative-weight differences (revised minus billed, in the claim's discharge
-- fiscal year) over the findings whose two weights are both known; all_* repeat the totals over every
-- pair, before the limit. One- and two-digit DRGs are padded.
WITH shifts AS (
    SELECT CASE WHEN regexp_full_match(f.submitted_code, '\d{1,2}') THEN lpad(f.submitted_code, 3, '0') ELSE f.submitted_code END AS billed_drg,
           CASE WHEN regexp_full_match(f.audited_code, '\d{1,2}') THEN lpad(f.audited_code, 3, '0') ELSE f.audited_code END AS revised_drg,
           g.fiscal_year
    FROM finding_facts AS f
    LEFT JOIN claim_drg AS g USING (claim_key)
    JOIN claim_facts AS c USING (claim_key)
    WHERE f.code_type = 'MSDRG' AND f.finding = 'revise'
      AND in_scope(f.service_date, f.facility_id, f.payer, f.coder_id, f.encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
      AND list_has_all(c.claim_flags, $claim_flags)
)
SELECT s.billed_drg, s.revised_drg, count(*) AS findings,
       count(wr.weight - wb.weight) AS weighted,
       CAST(sum(wr.weight - wb.weight) AS DOUBLE) AS weight_difference,
       sum(count(*)) OVER () AS all_findings,
       sum(count(wr.weight - wb.weight)) OVER () AS all_weighted,
       CAST(sum(sum(wr.weight - wb.weight)) OVER () AS DOUBLE) AS all_weight_difference
FROM shifts AS s
LEFT JOIN drg_weights AS wb ON wb.drg = s.billed_drg AND wb.fiscal_year = s.fiscal_year
LEFT JOIN drg_weights AS wr ON wr.drg = s.revised_drg AND wr.fiscal_year = s.fiscal_year
GROUP BY s.billed_drg, s.revised_drg
ORDER BY findings DESC, s.billed_drg, s.revised_drg
LIMIT $limit;
