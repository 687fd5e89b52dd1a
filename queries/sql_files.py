"""The store's statements, in queries/sql/**.sql (loaded by config/sql_files.py)."""
from __future__ import annotations

from pathlib import Path

from config.sql_files import SqlFolder, literal

STORE_SQL = SqlFolder(Path(__file__).parent / "sql")
sql = STORE_SQL.sql
sql_template = STORE_SQL.template
sql_literal = literal
