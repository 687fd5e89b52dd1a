-- Age in whole years at admission (the service date) of each accepted claim, from the date of birth the
-- vault holds after this batch (registered as claim_dob: this batch's value, else the one already sealed).
-- Runs in the stager (ingest/stage.py): the birth date never leaves it; only the age reaches the
-- store, and ages over 89 are kept as 90 ("90 or older"), as Safe Harbor aggregates them. A birthday not
-- reached yet in the year of admission does not count (born 2000-02-29: 24 on 2025-02-28, 25 on 2025-03-01).
CREATE OR REPLACE TEMP TABLE claim_age AS
SELECT v.claim_key,
       least(year(v.service_date) - year(b.dob)
             - CASE WHEN strftime(v.service_date, '%m%d') < strftime(b.dob, '%m%d') THEN 1 ELSE 0 END, 90) AS patient_age
FROM v_claims AS v
JOIN (SELECT claim_key, CAST(patient_dob AS DATE) AS dob FROM claim_dob) AS b USING (claim_key)
WHERE v.reason IS NULL AND b.dob <= v.service_date;

-- The checked claims with their age (NULL where no date of birth is known): what accepted_rows.sql reads.
CREATE OR REPLACE TEMP VIEW v_claims_aged AS
SELECT v.*, a.patient_age FROM v_claims AS v LEFT JOIN claim_age AS a USING (claim_key);
