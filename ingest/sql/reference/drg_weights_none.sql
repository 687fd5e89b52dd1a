-- No weights file: an empty staging table, so the weights are cleared (the case-mix index is then null).
CREATE OR REPLACE TEMP TABLE drg_weights_raw (line BIGINT, drg VARCHAR, fiscal_year VARCHAR, weight VARCHAR)
