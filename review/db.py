"""The review store: one SQLite file in WAL mode (`Paths.reviews_db`, created 0600) holding samples, reviews,
findings and rebuttals.

Review state is small and changes one claim at a time, which the DuckDB store (one writer, copied and swapped
whole) cannot do cheaply. So it lives here, like the accounts in users.sqlite: saving a finding is a short
SQLite transaction that never waits for an ingest and never blocks a reader. The metrics read what this store
publishes into each reader's own in-memory DuckDB (queries/reviewed.py), through the metrics feed: the views
metrics_feed_version and metrics_feed_findings (sql/store/migrations/0700_metrics_feed.sql), the interface
readers of the metrics depend on; the tables behind them are review/'s own.

Each change that must be in the access log hands its event to `record` inside the transaction, before the
commit: if the event cannot be written, the change is rolled back (as in audit/users.py).
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

from audit import sqlite_store
from audit.events import AccessEvent
from review.sql_files import sql

Record = Callable[[AccessEvent], object]
MIGRATIONS = Path(__file__).parent / "sql" / "store" / "migrations"
BUSY_TIMEOUT_SECONDS = sqlite_store.BUSY_TIMEOUT_SECONDS


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
        self._migrate()

    def _migrate(self) -> None:
        """Apply each change in review/sql/store/migrations/ not yet applied to this store, in name order,
        each in one transaction with its mark (two processes opening the store at once apply it once)."""
        for name in migration_names():
            with self.transaction() as conn:
                if name not in {row[0] for row in conn.execute(sql("store/migrations_applied"))}:
                    for statement in statements((MIGRATIONS / f"{name}.sql").read_text()):
                        conn.execute(statement)
                    conn.execute(sql("store/migration_done"), (name, iso(utc_now())))

    def connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_store.connect(self.path, BUSY_TIMEOUT_SECONDS)

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction taken up front (BEGIN IMMEDIATE): concurrent writers wait for each other."""
        return sqlite_store.transaction(self.path, BUSY_TIMEOUT_SECONDS)


def migration_names() -> list[str]:
    """The schema changes, by file name without .sql: numbered, so name order is the order they were made."""
    return sorted(path.stem for path in MIGRATIONS.glob("*.sql"))


def statements(script: str) -> list[str]:
    """A script's statements one by one, split where SQLite says a statement is complete (executescript would
    commit the open transaction first). A statement keeps the comment lines before it."""
    found, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            found.append(pending.strip())
            pending = ""
    if any(line.strip() and not line.strip().startswith("--") for line in pending.splitlines()):
        found.append(pending.strip())  # a last statement without its semicolon
    return found


def emit(record: Record | None, event: AccessEvent) -> None:
    if record is not None:
        record(event)


def update_existing(path: Path) -> None:
    """Bring a review store an older release made up to date (its migrations, the metrics feed among them),
    creating none where there is none: the readers of the metrics (`manage.py metrics`, each dashboard process)
    call this before they read, so after an upgrade the reviewed findings count from the first query instead of
    after the next review change."""
    if path.exists():
        ReviewDb(path)
