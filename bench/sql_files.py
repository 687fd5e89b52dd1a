"""The benchmarks' own statements, in bench/sql/*.sql (loaded by config/sql_files.py)."""
from __future__ import annotations

from pathlib import Path

from config.sql_files import SqlFolder

BENCH_SQL = SqlFolder(Path(__file__).parent / "sql")
sql = BENCH_SQL.sql
sql_template = BENCH_SQL.template
