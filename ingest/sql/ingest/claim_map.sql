-- claim_id -> claim_key for this batch, from the pseudonyms computed in Python (registered as claim_map_arrow).
CREATE OR REPLACE TEMP TABLE claim_map AS SELECT * FROM claim_map_arrow
