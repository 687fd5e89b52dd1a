"""Writing the store: one writer at a time, on a private copy, swapped in whole.

DuckDB lets one process hold a database file read-write and then excludes every other process, readers
included (queries/store.py). So the live store file is never written in place: a writer (ingest, demo,
rotate-key) takes an exclusive lock, copies the store's contents to a private (0600) file beside it,
changes the copy in one transaction from an in-memory DuckDB that never spills to disk, checkpoints and
fsyncs it, and renames it over the store (atomic on POSIX). A failed or interrupted write leaves the store
exactly as it was.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from audit.durable import fsync_path
from config.paths import Paths, private_folder
from ingest.sql_files import INGEST_SQL, sql
from queries.sql_files import sql as shared_sql
from queries.store import DUCKDB_SETTINGS, attach


class StoreBusy(TimeoutError):
    """Another writer held the store lock for too long."""


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
    other writer is running. Writers from before the in-memory staging also left spill folders."""
    for leftover in paths.data_dir.glob(f".{paths.store.name}.writing-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def _private_copy(con: duckdb.DuckDBPyConnection, paths: Paths, tmp: Path, fresh: bool) -> None:
    """Create `tmp` (0600) as a copy of the store (empty with `fresh`) and attach it as `store`.

    A store built by this writer carries a mark (no block of it ever held plaintext), so its bytes are
    copied. Any other store, such as one written before PHI was staged in memory only, may hold plaintext
    in free blocks: its contents are copied instead, into a new file that then carries the mark."""
    plaintext_free, previous = False, paths.store.exists() and not fresh
    if previous:
        attach(con, "attach_previous", paths.store, INGEST_SQL)
        plaintext_free = con.execute(sql("store/previous_is_plaintext_free")).fetchone()[0]
        if plaintext_free:
            con.execute(sql("store/detach_previous"))
            with open(paths.store, "rb") as src, os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    attach(con, "attach_copy", tmp, INGEST_SQL)
    os.chmod(tmp, 0o600)  # a new file: before any row is written, it holds only DuckDB's header
    if previous and not plaintext_free:
        con.execute(sql("store/copy_previous"))
        con.execute(sql("store/detach_previous"))
    con.execute(sql("store/mark_plaintext_free"))


@contextmanager
def write_transaction(paths: Paths, before_swap: Callable[[], None] | None = None,
                      fresh: bool = False, write_id: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection whose unqualified tables are those of a private copy of the store (of an empty
    store with `fresh`: the swap then replaces everything the store held), inside one transaction.

    The connection is an in-memory DuckDB with spilling switched off (`temp_directory` empty), the
    copy ATTACHed to it: TEMP tables live in this process's memory only, never in the store file, its WAL
    or a spill folder (PHI never reaches this process at all: ingest/stage.py seals it in a process of its
    own). The copy is private (0600) and never carries plaintext from an older file's free blocks
    (`_private_copy`).

    Every write stamps the store's `last_write` with `write_id` (an ingest's run_id; by default a new id), so
    a later ingest can tell whether the store is still the one a given run produced (ingest/rerun.py).

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
            con.execute(shared_sql("schema"))
            con.execute("BEGIN")
            yield con
            con.execute(sql("store/last_write"), {"write_id": write_id or uuid.uuid4().hex})
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
