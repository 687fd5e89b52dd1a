-- The staging table of an input file that is not in this batch: no rows.
CREATE OR REPLACE TEMP TABLE {raw} (src_line BIGINT)
