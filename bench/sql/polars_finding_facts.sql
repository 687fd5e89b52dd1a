-- The polars baseline's copy of the reader's finding_facts (bench/metrics.py).
SELECT * FROM finding_facts;
