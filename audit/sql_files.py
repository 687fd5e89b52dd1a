"""The audit package's statements, in audit/sql/**.sql (loaded by config/sql_files.py): DuckDB for the
store's key checks and the vault, SQLite for accounts."""
from __future__ import annotations

from pathlib import Path

from config.sql_files import SqlFolder

sql = SqlFolder(Path(__file__).parent / "sql").sql
