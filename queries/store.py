"""Opening the DuckDB store safely from many processes.

DuckDB lets one process hold a database file read-write and then excludes every other process.
So the live store file is never written in place: a writer (ingest, demo, rotate-key) takes an
exclusive lock, copies the store's contents to a private (0600) file beside it, changes the copy in
one transaction from an in-memory DuckDB that never spills to disk, checkpoints and fsyncs it,
and renames it over the store (atomic on POSIX). A failed or interrupted write leaves the store
exactly as it was.

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

import fcntl
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from audit.durable import fsync_path
from config.paths import Paths, private_folder
from queries import reviewed
from queries.sql_files import sql, sql_literal

DUCKDB_SETTINGS = {"threads": 2, "preserve_insertion_order": True}


class StoreMissing(FileNotFoundError):
    """No store yet: run `python manage.py demo` or `python manage.py ingest DIR`."""


class StoreBusy(TimeoutError):
    """Another writer held the store lock for too long."""


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


def _attached(paths: Paths) -> duckdb.DuckDBPyConnection:
    if not paths.store.exists():
        raise StoreMissing(f"No store at {paths.store}: run `python manage.py demo` or `python manage.py ingest DIR`.")
    con = duckdb.connect(":memory:", config=dict(READER_SETTINGS))
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

    def __init__(self, paths: Paths, *, demo_only: bool = False) -> None:
        self._paths = paths
        self._demo_only = demo_only
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple[int, int] | None = None
        self._overlay: reviewed.Overlay | None = None
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
            con = _attached(self._paths)
            if self._demo_only and (self._paths.real_data_marker.exists() or not holds_only_demo(con)):
                con.close()
                raise RealDataLoaded("Real data was loaded into this store, so demo sessions have ended.")
            self._con, self._identity = con, identity
        if self._overlay is None or self._overlay.stale(self._paths, now):
            try:
                self._overlay = reviewed.load(self._con, self._paths, now)
            except BaseException:
                self.close()
                raise
            self._loads += 1
        return self._con

    @property
    def version(self) -> tuple[object, ...]:
        """Changes whenever what this reader's queries return may have changed: a store swap or a reload of
        the reviewed findings. Memos of query results key on it (views/session.py)."""
        return (self._identity, self._loads)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
            self._identity = None
            self._overlay = None


_held = threading.local()  # lock files this thread already holds, so nested writer steps do not deadlock


@contextmanager
def writer_lock(paths: Paths, timeout_s: float = 600.0) -> Iterator[None]:
    """Serialise writers (ingest, demo, key rotation) across processes and threads; readers never take
    it. Re-entrant within one thread: rotate-key holds it across the keyring change and the re-encryption."""
    private_folder(paths.data_dir)
    held: set[Path] = _held.__dict__.setdefault("paths", set())
    lock = paths.store_lock.resolve()
    if lock in held:
        yield
        return
    with os.fdopen(os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a") as fh:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreBusy(f"Another process has been writing {paths.store} for over {timeout_s:.0f} s; try again later.") from None
                time.sleep(0.05)
        held.add(lock)
        try:
            yield
        finally:
            held.discard(lock)
            fcntl.flock(fh, fcntl.LOCK_UN)


def _sweep_leftovers(paths: Paths) -> None:
    """Remove what a killed writer left (its private copy and WAL). Safe only under the writer lock: no
    other writer is running. A spill folder (left by an older writer that could spill to disk) goes too."""
    for leftover in paths.data_dir.glob(f".{paths.store.name}.writing-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def attach(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> None:
    """Run queries/sql/store/<name>.sql, an ATTACH of the file at `path` (the one statement whose path
    DuckDB cannot take as a bound parameter; the path is configuration, never input)."""
    con.execute(sql(f"store/{name}").format(path=sql_literal(str(path))))


def _private_copy(con: duckdb.DuckDBPyConnection, paths: Paths, tmp: Path, fresh: bool) -> None:
    """Create `tmp` (0600) as a copy of the store (empty with `fresh`) and attach it as `store`.

    A store built by this writer carries a mark (no block of it ever held plaintext), so its bytes are
    copied. Any other store (one written by an older writer, whose process held plaintext PHI) may hold
    plaintext in free blocks: its contents are copied instead, into a new file that then carries the mark."""
    plaintext_free, previous = False, paths.store.exists() and not fresh
    if previous:
        attach(con, "attach_previous", paths.store)
        plaintext_free = con.execute(sql("store/previous_is_plaintext_free")).fetchone()[0]
        if plaintext_free:
            con.execute(sql("store/detach_previous"))
            with open(paths.store, "rb") as src, os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    attach(con, "attach_copy", tmp)
    os.chmod(tmp, 0o600)  # a new file: before any row is written, it holds only DuckDB's header
    if previous and not plaintext_free:
        con.execute(sql("store/copy_previous"))
        con.execute(sql("store/detach_previous"))
    con.execute(sql("store/mark_plaintext_free"))


@contextmanager
def write_transaction(paths: Paths, before_swap: Callable[[], None] | None = None,
                      fresh: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection whose unqualified tables are those of a private copy of the store (of an empty
    store with `fresh`: the swap then replaces everything the store held), inside one transaction.

    The connection is an in-memory DuckDB with spilling switched off (`temp_directory` empty), the
    copy ATTACHed to it: TEMP tables (an ingest's staged batches) live in this process's memory only,
    never in the store file, its WAL or a spill folder. This process never holds plaintext PHI: the
    staging child (queries/ingest_stage.py) hands it only pseudonymous or sealed rows, because DuckDB
    can write bytes of uninitialised memory into the file's blocks. The copy is private (0600) and never
    carries plaintext from an older file's free blocks (`_private_copy`).

    On a clean exit the transaction commits, the copy is checkpointed and fsynced, `before_swap` runs
    (an ingest appends its access-log event there: if that raises, nothing is swapped) and the copy
    replaces the store atomically. On any exception (or Ctrl-C) the copy is deleted and the store is
    untouched.
    """
    with writer_lock(paths):
        _sweep_leftovers(paths)
        tmp = paths.store.with_name(f".{paths.store.name}.writing-{os.getpid()}")
        con = duckdb.connect(":memory:", config={**DUCKDB_SETTINGS, "temp_directory": ""})
        try:
            con.execute(sql("store/writer_settings"))
            _private_copy(con, paths, tmp, fresh)
            con.execute(sql("schema"))
            con.execute("BEGIN")
            yield con
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
            con.close()
            fsync_path(tmp)
            if before_swap is not None:
                before_swap()
            os.replace(tmp, paths.store)
            fsync_path(paths.data_dir)
        finally:
            con.close()
            _sweep_leftovers(paths)


def demo_mode(paths: Paths) -> bool:
    """True while the store holds only the generated demo data set. The first real ingest leaves a
    marker that is never removed, so demo sign-in is gone for good even if the store is rebuilt."""
    if paths.real_data_marker.exists() or not paths.store.exists():
        return False
    con = _attached(paths)  # asks about the store only: no reviewed findings needed
    try:
        return holds_only_demo(con)
    finally:
        con.close()
