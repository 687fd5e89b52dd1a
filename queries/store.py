"""Opening the DuckDB store for reading, safely from many processes.

DuckDB lets one process hold a database file read-write and then excludes every other process. So the
live store file is never written in place: a writer changes a private copy and swaps it in whole
(ingest/swap.py), and readers only ever attach it read-only.

Every reader (the dashboard, `metrics`) is its own in-memory DuckDB that ATTACHes the store
READ_ONLY and re-attaches as soon as it sees the file has been replaced (`StoreReader`). It also loads
the final reviewed findings the review store publishes, and reloads them when they change
(queries/reviewed.py): its `audit_findings`, `claim_facts` and `finding_facts` are the store's combined
with them.
`duckdb.connect(path)` would not do: DuckDB hands a second connection to a path the database another
connection in the process already holds open, even after the file was replaced, so a session would
read the old store.
"""
from __future__ import annotations

import functools
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from config.paths import Paths
from config.sql_files import SqlFolder
from queries import reviewed
from queries.sql_files import STORE_SQL, sql, sql_literal

DUCKDB_SETTINGS = {"threads": 2, "preserve_insertion_order": True}


class StoreMissing(FileNotFoundError):
    """No store yet: run `python manage.py demo` or `python manage.py ingest DIR`."""


# Per reader: a small buffer pool (each session has its own), and no spilling at all: an in-memory DuckDB
# would otherwise spill to `.tmp` in the working directory.
READER_SETTINGS = {**DUCKDB_SETTINGS, "memory_limit": "512MB", "temp_directory": ""}


class RealStoreMissing(StoreMissing):
    """The store is missing from a data folder that held real data: no demo is ever built in its place."""


class RealDataLoaded(PermissionError):
    """A demo session met a store that holds real data (or once did): it must end, having read nothing."""


def connect_read_only(paths: Paths) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB with the store attached READ_ONLY and in use, so every query (and the
    `in_scope` macro stored with the data) resolves against the file as it is now, and the reviewed findings
    published so far combined with the store's (queries/reviewed.py)."""
    con = _attached(paths)
    try:
        reviewed.load(con, paths)
    except BaseException:
        con.close()
        raise
    return con


def _attached(paths: Paths, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    if not paths.store.exists():
        raise StoreMissing(f"No store at {paths.store}: run `python manage.py demo` or `python manage.py ingest DIR`.")
    con = duckdb.connect(":memory:", config={**READER_SETTINGS, **({} if threads is None else {"threads": threads})})
    try:
        attach(con, "attach_reader", paths.store)
    except BaseException:
        con.close()
        raise
    return con


def holds_only_demo(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store this connection reads was loaded by the demo generator alone."""
    return {s for (s,) in con.execute(sql("store/ingest_sources")).fetchall()} == {"demo"}


class StoreReader:
    """A read-only connection that follows the store across swaps. One per session or thread.

    With `demo_only` (a demo session), every newly opened store is checked on the connection that will
    serve the reads: a store holding real data raises RealDataLoaded before anything is read from it, so a
    swap between some earlier check and a read cannot hand the session real data."""

    def __init__(self, paths: Paths, *, demo_only: bool = False, threads: int | None = None) -> None:
        self._paths = paths
        self._demo_only = demo_only
        self._threads = threads  # DuckDB threads for this reader's queries (None: READER_SETTINGS)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple[int, int] | None = None
        self._overlay: reviewed.Overlay | None = None
        self._watch = reviewed.PublicationWatch(paths.reviews_db)
        self._seen: object = None  # the watch's token when the overlay was last loaded or found current
        self._loads = 0

    def _current_identity(self) -> tuple[int, int]:
        st = os.stat(self._paths.store)
        return (st.st_ino, st.st_mtime_ns)

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The connection, re-attached after a swap and with the reviewed findings reloaded when they changed."""
        identity = self._current_identity() if self._paths.store.exists() else None
        now = datetime.now(UTC)
        if self._con is None or identity != self._identity:
            self.close()
            con = _attached(self._paths, self._threads)
            if self._demo_only and (self._paths.real_data_marker.exists() or not holds_only_demo(con)):
                con.close()
                raise RealDataLoaded("Real data was loaded into this store, so demo sessions have ended.")
            self._con, self._identity = con, identity
        seen = self._watch.look()
        if self._overlay is None or self._overlay.stale(self._paths, now, committed=seen != self._seen):
            try:
                self._overlay = reviewed.load(self._con, self._paths, now)
            except BaseException:
                self.close()
                raise
            self._loads += 1
        self._seen = seen
        return self._con

    @property
    def version(self) -> tuple[object, ...]:
        """Changes whenever what this reader's queries return may have changed: a store swap or a reload of
        the reviewed findings. Memos of query results key on it (views/session.py)."""
        return (self._identity, self._loads)

    def close(self) -> None:
        self._watch.close()
        if self._con is not None:
            self._con.close()
            self._con = None
            self._identity = None
            self._overlay = None


def attach(con: duckdb.DuckDBPyConnection, name: str, path: Path, statements: SqlFolder = STORE_SQL) -> None:
    """Run sql/store/<name>.sql of `statements` (queries/ by default; the writer's own attaches are in
    ingest/), an ATTACH of the file at `path` (the one statement whose path DuckDB cannot take as a bound
    parameter; the path is configuration, never input)."""
    con.execute(statements.sql(f"store/{name}").format(path=sql_literal(str(path))))


def demo_mode(paths: Paths) -> bool:
    """True while the store holds only the generated demo data set. The first real ingest leaves a
    marker that is never removed, so demo sign-in is gone for good even if the store is rebuilt. The marker is
    looked for at every call; the store's answer is remembered for the file (a store is never written in place:
    a writer swaps in a new file), so every sign-in page does not open the store again."""
    if paths.real_data_marker.exists():
        return False
    try:
        found = os.stat(paths.store)
    except FileNotFoundError:
        return False
    return _store_holds_only_demo(paths, (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns))


@functools.lru_cache(maxsize=8)
def _store_holds_only_demo(paths: Paths, identity: tuple[int, ...]) -> bool:
    """holds_only_demo of the store file with this identity (stat'ed before it is opened: a swap in between
    files the new file's answer under the old identity, which is not seen again)."""
    con = _attached(paths)  # asks about the store only: no reviewed findings needed
    try:
        return holds_only_demo(con)
    finally:
        con.close()
