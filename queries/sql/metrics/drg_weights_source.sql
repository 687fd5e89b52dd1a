-- Which weights the store holds: none, the user's, or the demo's synthetic ones.
SELECT count(*) AS weights, coalesce(bool_or(synthetic), FALSE) AS synthetic, min(fiscal_year), max(fiscal_year) FROM drg_weights;
