"""Named SQL files beside the audit code that runs them (audit/sql/**.sql), as queries/sql_files.py
does for the store's queries: DuckDB for the store's key checks and rotation, SQLite for accounts."""
from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).parent / "sql"


@cache
def sql(name: str) -> str:
    """The text of audit/sql/<name>.sql. Static files only: never builds SQL from input."""
    return (SQL_DIR / f"{name}.sql").read_text()
