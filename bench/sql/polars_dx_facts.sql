-- The polars baseline's copy of the reader's dx_facts (bench/metrics.py).
SELECT * FROM dx_facts;
