"""The write side's statements, in ingest/sql/**.sql (loaded by config/sql_files.py), among them the writer's
private copy of the store and its session (ingest/sql/store/). Statements both sides run (the schema, the
rules of a finding, the facts tables, the read-only attach of the live store) stay in queries/sql/ and are
read through queries.sql_files."""
from __future__ import annotations

from pathlib import Path

from config.sql_files import SqlFolder

INGEST_SQL = SqlFolder(Path(__file__).parent / "sql")
sql = INGEST_SQL.sql
sql_template = INGEST_SQL.template
