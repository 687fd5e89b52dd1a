-- Which loaders filled the store: 'demo' for the generated demo set, 'real' for everything else.
SELECT DISTINCT source FROM ingest_runs;
