-- The claims whose grouping this ingest (re)computes: every accepted claim and every claim with an
-- accepted code row in this batch (accepted_<file>, handed over by the stager), plus any inpatient claim without a result (a store from before
-- grouping). Claims that are not inpatient are in the set too, so a result left from an earlier
-- inpatient version of the claim is removed.
CREATE OR REPLACE TEMP TABLE drg_todo AS
SELECT claim_key FROM accepted_claims
UNION
SELECT claim_key FROM accepted_claim_codes
UNION
SELECT c.claim_key FROM claims AS c ANTI JOIN claim_drg AS g USING (claim_key) WHERE c.encounter_type = 'inpatient';
