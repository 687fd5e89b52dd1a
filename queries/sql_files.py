"""Named SQL files beside the code that runs them (queries/sql/**.sql)."""
from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).parent / "sql"


@cache
def sql(name: str) -> str:
    """The text of queries/sql/<name>.sql. Static files only: never builds SQL from input."""
    return (SQL_DIR / f"{name}.sql").read_text()
