-- Drill-down: the inpatient claims carrying one claim flag ($flag, one of queries.metrics.CLAIM_FLAGS), by
-- pseudonymous claim key: the billed and grouped DRG with their relative weights in the discharge's fiscal
-- year, why a claim was not grouped, the secondary diagnoses of CC or MCC severity in line order ('*' when
-- marked as affecting the final DRG), the MCE edits, and the patient's age (90+ for 90 or older: the store
-- keeps 90) and sex. Newest service date first, at most $limit claims.
WITH flagged AS (
    SELECT claim_key, service_date, facility_id, coder_id, billed_drg, grouped_drg, billed_weight, grouped_weight
    FROM claim_facts
    WHERE list_has(claim_flags, $flag)
      AND in_scope(service_date, facility_id, payer, coder_id, encounter_type, $date_from, $date_to, $facility, $payer, $coder, $encounter_type)
      AND list_has_all(claim_flags, $claim_flags)
    ORDER BY service_date DESC, claim_key
    LIMIT $limit
),
cc AS (
    SELECT d.claim_key,
           string_agg(coalesce(i.code_dotted, d.code) || ' ' || d.severity || CASE WHEN d.affects_final_drg THEN '*' ELSE '' END,
                      ', ' ORDER BY d.line) AS cc_mcc_codes
    FROM claim_drg_cc AS d
    SEMI JOIN flagged AS f ON f.claim_key = d.claim_key
    LEFT JOIN icd10cm AS i ON i.code = d.code
    GROUP BY d.claim_key
),
edits AS (
    SELECT e.claim_key, string_agg(e.edit, ', ' ORDER BY e.edit) AS mce_edits
    FROM claim_mce_edits AS e
    SEMI JOIN flagged AS f ON f.claim_key = e.claim_key
    GROUP BY e.claim_key
)
SELECT f.claim_key, f.service_date, f.facility_id, f.coder_id, f.billed_drg, f.grouped_drg,
       CAST(f.billed_weight AS DOUBLE) AS billed_weight, CAST(f.grouped_weight AS DOUBLE) AS grouped_weight,
       CAST(f.grouped_weight - f.billed_weight AS DOUBLE) AS weight_difference,
       g.ungroupable_reason, cc.cc_mcc_codes, edits.mce_edits,
       CASE WHEN c.patient_age >= 90 THEN '90+' ELSE CAST(c.patient_age AS VARCHAR) END AS age,
       c.patient_sex AS sex
FROM flagged AS f
JOIN claims AS c USING (claim_key)
LEFT JOIN claim_drg AS g USING (claim_key)
LEFT JOIN cc USING (claim_key)
LEFT JOIN edits USING (claim_key)
ORDER BY f.service_date DESC, f.claim_key;
