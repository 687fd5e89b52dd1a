-- The polars baseline's copy of the reader's denial_facts (bench/metrics.py).
SELECT * FROM denial_facts;
