"""The review package's statements, in review/sql/**.sql (loaded by config/sql_files.py): SQLite for the
review store (review/sql/store/), DuckDB for the sampling frame read from the coding store (review/sql/frame/)."""
from __future__ import annotations

from pathlib import Path

from config.sql_files import SqlFolder

sql = SqlFolder(Path(__file__).parent / "sql").sql
