"""Taking a consistent snapshot of a data folder while the dashboard runs: one moment (the cut) for the store,
the accounts, the reviews and the access log with its checkpoints.

Every writer records its access-log event before its change lands: an ingest under the store's writer lock
before it swaps the new store in (ingest/swap.py), an account or review change inside its SQLite write
transaction before it commits (audit/users.py, review/db.py). So the cut takes, in this order, the writer lock,
each SQLite store's write lock (BEGIN IMMEDIATE: any change under way finishes first, events and commit), then
the access log's lock shared (audit/log/files.py), the same order every writer takes them in, so none waits for
another in a cycle. Holding them all, it notes where each part ends and releases them at once (milliseconds):

- The store: it opens the store file. Why a copy of the file, not DuckDB's EXPORT DATABASE or COPY FROM
  DATABASE: the store is never written in place; a writer builds a new file and renames it over the old one, so
  the file a descriptor opened is never changed afterwards, even after an ingest swaps another in. Copying its
  bytes through that descriptor gives exactly the store readers saw at the cut (its key checks and plaintext-free
  mark included), with no lock held while copying, no DuckDB memory and no reader ever blocked. DuckDB's own
  export would re-encode the data through a second database in this process, and a copy of the path without the
  writer lock could be a store whose ingest event is not yet in the log.
- The accounts and the reviews: a read transaction opened on each (SQLite's WAL mode keeps that moment for it
  while writers go on committing); SQLite's online backup API (sqlite3.Connection.backup) then copies that
  snapshot page by page after the cut. A file copy could catch a page half-written, or miss what the WAL holds.
- The access log: its length up to the last complete line (an append is one write of whole lines, fsynced
  under the lock; lines are never changed once written) and its checkpoint files, read whole under the lock,
  so the head checkpoint records exactly the snapshot's last event and verify-log accepts the copy.

So the snapshot holds every change whose event it holds, and no change whose event it lacks.
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from audit import sqlite_store
from audit.log.checkpoints import HEAD_FILE, HISTORY_FILE
from audit.log.files import LOCK_FILE, LOG_FILE, lines_newest_first, open_log_key, shared_lock
from audit.log.format import Signer, unseal
from audit.log.identity import DATA_FOLDER_FILE, locate, log_identity
from backup.sql_files import sql
from config.paths import Paths
from ingest.swap import writer_lock

# How long the cut waits for an account or review change under way (an ingest's lock is waited for separately,
# by writer_lock). Longer than the 5 s a dashboard write waits (audit/sqlite_store.py): most changes take
# milliseconds, but rotate-key re-seals every review finding's notes in one review-store transaction
# (review/integrity.py reseal_notes) after it has released the writer lock; on a large review store that holds
# the write lock for seconds, and a backup started meanwhile should wait for it, not fail.
BUSY_TIMEOUT_SECONDS = 60.0
CHECKPOINT_FILES = (HEAD_FILE, HISTORY_FILE, DATA_FOLDER_FILE)


class SnapshotError(RuntimeError):
    """The snapshot cannot be taken; the message says why and what to do."""


@dataclass
class Snapshot:
    """What the cut found: open handles and sizes to copy from after it, with every lock released."""

    store_fd: int
    store_size: int
    log_fd: int
    log_size: int  # up to the end of the last complete line
    log_identity: str
    last_seq: int
    last_hash: str
    checkpoints: dict[str, bytes]  # file name -> contents, read under the log's lock
    marker: bytes | None  # the real-data marker (Paths.real_data_marker), if the folder has one
    stores: dict[str, sqlite3.Connection] = field(default_factory=dict)  # name -> connection in its read snapshot

    def back_up_sqlite(self, name: str, target: Path) -> None:
        """Copy one SQLite store as it was at the cut into a new file `target` (the online backup API)."""
        sqlite_store.back_up(self.stores[name], target)


def _read_snapshot(conn: sqlite3.Connection) -> sqlite3.Connection:
    """`conn` in a read transaction begun now: it sees its store as it is at this moment until it closes."""
    conn.execute("BEGIN")
    conn.execute(sql("read_snapshot")).fetchone()
    return conn


def _log_end(fd: int, signer: Signer) -> tuple[int, int, str]:
    """The end of the last complete line, and its seq and hash; SnapshotError if the log has no valid last event."""
    newest = next(lines_newest_first(fd, os.fstat(fd).st_size, block=4096), None)
    sealed = unseal(newest[0], signer) if newest else "the log is empty"
    if isinstance(sealed, str):
        raise SnapshotError(f"the access log's last line is not a valid event ({sealed}); run `manage.py verify-log` "
                            "and repair the log before backing it up")
    return newest[1], sealed[0], sealed[2].decode()


@contextmanager
def cut(paths: Paths, sqlite_stores: dict[str, Path]) -> Iterator[Snapshot]:
    """The snapshot of `paths` at one moment (module docstring); `sqlite_stores` names the SQLite files to take
    (those that exist). Yields it after every lock is released; closes its handles on exit."""
    log_key = open_log_key(paths)
    signer = Signer(log_key)
    present = {name: path for name, path in sqlite_stores.items() if path.exists()}
    with ExitStack() as stack:
        with ExitStack() as locks:
            locks.enter_context(writer_lock(paths))
            for path in present.values():
                locks.enter_context(sqlite_store.write_lock(path, BUSY_TIMEOUT_SECONDS))
            locks.enter_context(shared_lock(paths.log_dir / LOCK_FILE))
            store_fd = os.open(paths.store, os.O_RDONLY)
            stack.callback(os.close, store_fd)
            log_fd = os.open(paths.log_dir / LOG_FILE, os.O_RDONLY)
            stack.callback(os.close, log_fd)
            log_size, seq, last_hash = _log_end(log_fd, signer)
            identity = log_identity(log_fd, signer)
            home = locate(paths, identity, (seq, last_hash), log_key)
            if identity is None or home.folder is None or home.displaced is not None:
                raise SnapshotError("the access log's checkpoints cannot be found or belong to another log; run "
                                    "`manage.py verify-log` and repair the log before backing it up")
            checkpoints = {name: (home.folder / name).read_bytes() for name in CHECKPOINT_FILES
                           if (home.folder / name).is_file()}
            marker = paths.real_data_marker.read_bytes() if paths.real_data_marker.is_file() else None
            stores = {name: _read_snapshot(stack.enter_context(sqlite_store.connect(path, BUSY_TIMEOUT_SECONDS)))
                      for name, path in present.items()}
        snapshot = Snapshot(store_fd, os.fstat(store_fd).st_size, log_fd, log_size, identity, seq, last_hash,
                            checkpoints, marker, stores)
        yield snapshot
