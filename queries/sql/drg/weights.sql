-- Every relative weight the store holds, by DRG and fiscal year (for proposing a DRG finding).
SELECT drg, fiscal_year, CAST(weight AS DOUBLE) FROM drg_weights;
