"""Every SQLite connection the project opens: short-lived connections for the small transactional stores
beside the analytic store (accounts in audit/users.py, reviews in review/db.py, the metrics' read of what the
review store publishes in queries/reviewed.py): one connection per operation, so they are safe across the
dashboard's threads and processes, and writes that wait for each other instead of failing; the locks and the
online copy a backup takes of those stores (backup/snapshot.py); read-only connections to packaged
reference databases; and one connection kept open per metrics reader to watch the review store for commits
(queries/reviewed.py)."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

# How long an operation waits for another process's write to commit (a few milliseconds each) before failing.
BUSY_TIMEOUT_SECONDS = 5.0


@contextmanager
def connect(path: Path, busy_timeout_seconds: float = BUSY_TIMEOUT_SECONDS) -> Iterator[sqlite3.Connection]:
    """A connection in autocommit mode with rows by name; `busy_timeout_seconds` is SQLite's busy timeout
    (wait for a writer, do not fail)."""
    with closing(sqlite3.connect(path, timeout=busy_timeout_seconds, isolation_level=None)) as conn:
        conn.row_factory = sqlite3.Row
        yield conn


def watcher(path: Path) -> sqlite3.Connection:
    """A read-only connection kept open to ask `PRAGMA data_version` of an existing database, which changes whenever
    another connection commits to it: a look that opens nothing and reads no schema. Usable from any thread (one
    at a time); raises sqlite3.OperationalError if there is no such file (never creates one)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)


@contextmanager
def transaction(path: Path, busy_timeout_seconds: float = BUSY_TIMEOUT_SECONDS) -> Iterator[sqlite3.Connection]:
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


@contextmanager
def write_lock(path: Path, busy_timeout_seconds: float = BUSY_TIMEOUT_SECONDS) -> Iterator[sqlite3.Connection]:
    """The database's write lock, held without writing until the block ends (BEGIN IMMEDIATE, rolled back on
    exit): a write under way commits first, and no other starts meanwhile. For a cut taken across several stores."""
    with connect(path, busy_timeout_seconds) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        finally:
            conn.execute("ROLLBACK")


def back_up(source: sqlite3.Connection, target: Path) -> None:
    """Copy the database `source` sees into a new file `target` with SQLite's online backup API: page by page,
    what the WAL holds included, and as of `source`'s read transaction if one is open. A file copy could catch
    a page half-written, or miss what the WAL holds."""
    with connect(target) as copy:
        source.backup(copy)


@contextmanager
def read_only(path: Path | object) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a database nobody writes (a code set packaged with a library): opened with
    SQLite's mode=ro, so a mistake cannot change it."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        yield conn
