-- Every inpatient claim of the store, as the claims an ingest groups (ingest/sql/drg/stage_store.sql reads it).
CREATE OR REPLACE TEMP TABLE drg_todo AS SELECT claim_key FROM claims WHERE encounter_type = 'inpatient';
