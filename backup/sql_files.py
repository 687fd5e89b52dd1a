"""The backup package's statements, in backup/sql/*.sql (loaded by config/sql_files.py)."""
from __future__ import annotations

from pathlib import Path

from config.sql_files import SqlFolder

sql = SqlFolder(Path(__file__).parent / "sql").sql
