"""DuckDB store: schema, ingest, reference data and metrics. Never imports streamlit."""
