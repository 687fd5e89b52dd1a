-- The polars baseline's copy of the reader's claim_facts (bench/metrics.py).
SELECT * FROM claim_facts;
