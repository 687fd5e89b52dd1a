-- (Re)load the DRG relative weights from the checked staging table (none when drg_weights_raw is empty).
-- $synthetic marks the demo's made-up weights, which every page that uses them says are not CMS values.
DELETE FROM drg_weights;
INSERT INTO drg_weights
SELECT lpad(CAST(CAST(trim(drg) AS INTEGER) AS VARCHAR), 3, '0'), CAST(trim(fiscal_year) AS INTEGER),
       CAST(trim(weight) AS DECIMAL(10, 6)), $synthetic
FROM drg_weights_raw;
