"""The read side of the DuckDB store: opening it, metrics, statistics and the names of codes; the write side
is ingest/. Never imports streamlit."""
