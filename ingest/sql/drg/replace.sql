-- The new results (registered as drg_new, drg_cc_new, drg_mce_new) replace those of every claim in drg_todo.
DELETE FROM claim_drg WHERE claim_key IN (SELECT claim_key FROM drg_todo);
DELETE FROM claim_drg_cc WHERE claim_key IN (SELECT claim_key FROM drg_todo);
DELETE FROM claim_mce_edits WHERE claim_key IN (SELECT claim_key FROM drg_todo);
INSERT INTO claim_drg BY NAME SELECT * FROM drg_new;
INSERT INTO claim_drg_cc BY NAME SELECT * FROM drg_cc_new;
INSERT INTO claim_mce_edits BY NAME SELECT * FROM drg_mce_new;
