"""Short-lived SQLite connections for the small transactional stores beside the analytic store (accounts in
audit/users.py, reviews in review/db.py): one connection per operation, so they are safe across the
dashboard's threads and processes, and writes that wait for each other instead of failing."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path


@contextmanager
def connect(path: Path, busy_timeout_seconds: float) -> Iterator[sqlite3.Connection]:
    """A connection in autocommit mode with rows by name; `busy_timeout_seconds` is SQLite's busy timeout
    (wait for a writer, do not fail)."""
    with closing(sqlite3.connect(path, timeout=busy_timeout_seconds, isolation_level=None)) as conn:
        conn.row_factory = sqlite3.Row
        yield conn


@contextmanager
def transaction(path: Path, busy_timeout_seconds: float) -> Iterator[sqlite3.Connection]:
    """A write transaction taken up front (BEGIN IMMEDIATE), so concurrent writers wait for each other
    instead of failing when a read turns into a write; rolled back on any error."""
    with connect(path, busy_timeout_seconds) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
