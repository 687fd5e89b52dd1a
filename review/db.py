"""The review store: one SQLite file in WAL mode (`Paths.reviews_db`, created 0600) holding samples, reviews,
findings and rebuttals.

Review state is small and changes one claim at a time, which the DuckDB store (one writer, copied and swapped
whole) cannot do cheaply. So it lives here, like the accounts in users.sqlite: saving a finding is a short
SQLite transaction that never waits for an ingest and never blocks a reader. The metrics read what this store
publishes (the table published_findings, queries/reviewed.py) into each reader's own in-memory DuckDB.

Each change that must be in the access log hands its event to `record` inside the transaction, before the
commit: if the event cannot be written, the change is rolled back (as in audit/users.py).
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from audit.events import AccessEvent
from review.sql_files import sql

Record = Callable[[AccessEvent], object]
BUSY_TIMEOUT_SECONDS = 5.0


class ReviewError(ValueError):
    """A review change that cannot be made; the message says what to do instead."""


def iso(moment: datetime) -> str:
    """Times are stored as ISO 8601 in UTC, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def utc_now() -> datetime:
    return datetime.now(UTC)


class ReviewDb:
    """Short-lived connections per operation: safe across the dashboard's threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():  # pseudonymous claim keys and findings: readable by the owner only, like users.sqlite
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        with self.connect() as conn:
            conn.executescript(sql("store/schema"))

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)) as conn:
            conn.row_factory = sqlite3.Row
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction taken up front (BEGIN IMMEDIATE): concurrent writers wait for each other."""
        with self.connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")


def emit(record: Record | None, event: AccessEvent) -> None:
    if record is not None:
        record(event)
