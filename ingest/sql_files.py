"""The write side's statements, in ingest/sql/**.sql (loaded by config/sql_files.py). Statements both sides
run (the schema, the rules of a finding, the facts tables, the store's attach and settings) stay in
queries/sql/ and are read through queries.sql_files."""
from __future__ import annotations

from pathlib import Path

from config.sql_files import SqlFolder

INGEST_SQL = SqlFolder(Path(__file__).parent / "sql")
sql = INGEST_SQL.sql
sql_template = INGEST_SQL.template
