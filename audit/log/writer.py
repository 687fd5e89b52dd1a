"""The access-log writer: appends events for every process that shares a data folder.

The bytes of a line are defined in audit.log.format, the checkpoints in audit.log.checkpoints; verify
(audit.log.verify) checks them and read_events (audit.log.read) reads them back.

How a page uses it: keep one AccessLog per process (e.g. in st.cache_resource) and call append()
*before* showing PHI. If append() raises AccessLogError, show the error instead of the data.
"""
from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.events import AccessEvent
from audit.log.checkpoints import CheckpointWriter
from audit.log.files import LOCK_FILE, LOG_FILE, lines_newest_first, open_durable, open_log_key, same_file
from audit.log.format import GENESIS_HASH, Checkpoint, Signer, seal_event, unseal, utc_now
from audit.log.identity import Home, adopt, claim, locate, log_identity
from config.paths import Paths


class AccessLogError(RuntimeError):
    """The event could not be recorded durably, so the action it describes must not happen:
    do not show PHI. The message says what to fix."""


@dataclass(frozen=True)
class _Tail:
    """What the next append needs: file size, last seq and hash, and the head checkpoint slot."""

    size: int
    seq: int
    hash: str
    head: Checkpoint | None
    slot: int


class AccessLog:
    """Appends events for one process. Safe to share between threads and with other processes:
    an exclusive flock on events.lock covers read-last-event, write, fsync and checkpoint."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        log_key = open_log_key(paths)
        try:
            paths.ensure()
        except OSError as exc:
            raise AccessLogError(
                f"Cannot create {paths.data_dir} or {paths.key_dir} ({exc.strerror}); fix the permissions."
            ) from None
        self._log_key = log_key
        self._signer = Signer(log_key)
        self._checkpoints: CheckpointWriter | None = None
        self._log_id: str | None = None  # of the open log file; see audit.log.identity
        self._home: tuple[str | None, Home] | None = None  # where the checkpoints of that log were found
        self._mutex = threading.Lock()
        self._pid = os.getpid()
        self._lock_fd: int | None = None
        self._log_fd: int | None = None
        self._tail: _Tail | None = None

    def append(self, event: AccessEvent) -> dict[str, Any]:
        """Record one event durably and return it as stored (with seq, ts, hash and mac).

        Returns only after the event and its checkpoint are fsync'ed. Raises AccessLogError if the
        event cannot be recorded (disk full, permissions, a log that fails its checkpoint): the caller
        must then NOT show PHI or perform the action. (If only the checkpoint failed, the event stays
        in the log as a record of the attempt.) Never pass PHI: claim keys must be pseudonyms and
        fields are field names, not values.
        """
        return self.append_many([event])[0]

    def append_many(self, events: Sequence[AccessEvent]) -> list[dict[str, Any]]:
        """Record several events with one write and one fsync (group commit); same contract as append()."""
        if not events:
            return []
        with self._mutex:
            try:
                with self._locked():
                    return self._commit(events)
            except OSError as exc:
                self._tail = None
                raise AccessLogError(
                    f"Recording the access failed ({exc.strerror or exc}: {exc.filename or self.paths.log_dir}). "
                    f"Do not show the data. Free disk space or fix the permissions of {self.paths.log_dir} and "
                    f"{self.paths.checkpoint_dir}, then retry."
                ) from exc

    def close(self) -> None:
        with self._mutex:
            self._drop_files()

    def _drop_files(self) -> None:
        for fd in (self._log_fd, self._lock_fd):
            if fd is not None:
                os.close(fd)
        self._log_fd = self._lock_fd = None
        self._use_checkpoints(None)
        self._tail = self._log_id = self._home = None

    def __enter__(self) -> AccessLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if self._pid != os.getpid():  # a forked child must take its own lock, not share the parent's
            self._drop_files()
            self._pid = os.getpid()
        lock_path = self.paths.log_dir / LOCK_FILE
        while True:
            if self._lock_fd is None:
                self._lock_fd = open_durable(lock_path, os.O_RDWR)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            if same_file(self._lock_fd, lock_path):
                break
            os.close(self._lock_fd)  # the lock file was replaced: lock the one other processes see
            self._lock_fd = None
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _commit(self, events: Sequence[AccessEvent]) -> list[dict[str, Any]]:
        tail = self._current_tail()
        records, lines = [], []
        seq, prev_hash = tail.seq, tail.hash
        for event in events:
            seq += 1
            record, line = self._seal(event, seq, prev_hash)
            prev_hash = record["hash"]
            records.append(record)
            lines.append(line)
        data = b"".join(lines)
        self._tail = None  # until the commit completes, re-read the state from disk
        if not tail.seq:  # a new log: its first event names it and its checkpoint folder
            self._log_id = records[0]["hash"]
            self._use_checkpoints(self.paths.checkpoint_dir / self._log_id)
        try:
            _write_all(self._log_fd, data)
            os.fsync(self._log_fd)
        except OSError:
            _truncate_quietly(self._log_fd, tail.size)
            raise
        checkpoint = Checkpoint(seq=seq, hash=prev_hash, at=records[-1]["ts"])
        self._checkpoints.write(checkpoint, tail.slot, tail.head)
        if not tail.seq:
            claim(self._checkpoints.folder, self.paths, self._log_key)
        self._tail = _Tail(tail.size + len(data), seq, prev_hash, checkpoint, 1 - tail.slot)
        return records

    def _seal(self, event: AccessEvent, seq: int, prev_hash: str) -> tuple[dict[str, Any], bytes]:
        try:
            return seal_event(event, seq, utc_now(), prev_hash, self._signer)
        except (TypeError, ValueError) as exc:
            raise AccessLogError(
                f"Event details must be plain JSON values (text, numbers, true/false, null, lists, dicts): {exc}. "
                "The action was not recorded, so do not show the data."
            ) from None

    def _current_tail(self) -> _Tail:
        """The log's end as the next append must continue it. Cached while the file size is unchanged
        (every commit grows the file); otherwise read from disk and checked against the checkpoint."""
        log_path = self.paths.log_dir / LOG_FILE
        if self._log_fd is not None and not same_file(self._log_fd, log_path):
            os.close(self._log_fd)
            self._log_fd, self._tail, self._log_id, self._home = None, None, None, None
        if self._log_fd is None:
            self._log_fd = open_durable(log_path, os.O_RDWR | os.O_APPEND)
        if self._checkpoints is not None and self._checkpoints.reopen_if_replaced():
            self._tail, self._home = None, None
        size = os.fstat(self._log_fd).st_size
        if self._tail is not None and self._tail.size == size:
            return self._tail
        newest_line = next(lines_newest_first(self._log_fd, size, block=4096), None)
        seq, last_hash, end = 0, GENESIS_HASH, 0
        if newest_line is not None:
            sealed = unseal(newest_line[0], self._signer)
            if isinstance(sealed, str):
                raise self._refuse(f"its last line is not a valid event ({sealed})")
            seq, last_hash, end = sealed[0], sealed[2].decode(), newest_line[1]
        if seq and self._log_id is None:
            self._log_id = log_identity(self._log_fd, self._signer)
        try:
            head, slot = self._checked_head(seq, last_hash)
        except AccessLogError:
            self._home = None  # look again next time: the files may have been restored
            raise
        if end < size:  # an append torn by a crash; it was never acknowledged, so drop it
            os.ftruncate(self._log_fd, end)
            os.fsync(self._log_fd)
        return _Tail(end, seq, last_hash, head, slot)

    def _checked_head(self, seq: int, last_hash: str) -> tuple[Checkpoint | None, int]:
        """Find the log's checkpoints (once per log file, or after they were replaced), check the log's
        end against them, and adopt them; the head checkpoint and the slot to write next."""
        if self._home is None or self._home[0] != self._log_id:
            self._home = self._log_id, locate(self.paths, self._log_id, (seq, last_hash) if seq else None, self._log_key)
        home = self._home[1]
        if home.displaced is not None:
            raise self._refuse(f"this data folder's checkpoints ({home.displaced}) are another log's, so this log took its place")
        if home.folder is None and seq:
            raise self._refuse("its first two lines are damaged, so its checkpoints cannot be found")
        self._use_checkpoints(home.folder)
        head, slot = self._checkpoints.read_head() if self._checkpoints is not None else (None, 0)
        self._check_against_head(seq, last_hash, head)
        if seq and self._log_id is not None and not home.claimed:
            folder = adopt(home, self.paths, self._log_id, self._log_key)
            self._use_checkpoints(folder)
            self._home = self._log_id, Home(folder, claimed=True)
        return head, slot

    def _use_checkpoints(self, folder: Path | None) -> None:
        if self._checkpoints is not None and self._checkpoints.folder != folder:
            self._checkpoints.close()
            self._checkpoints = None
        if self._checkpoints is None and folder is not None:
            self._checkpoints = CheckpointWriter(folder, self._log_key)

    def _check_against_head(self, seq: int, last_hash: str, head: Checkpoint | None) -> None:
        """Refuse to write on top of a log that lost events, or the checkpoints that would show it:
        appending would overwrite the evidence."""
        checkpoints = self._checkpoints
        if seq and (checkpoints is None or checkpoints.history_lost()):
            raise self._refuse(f"it has {seq} events but its checkpoint history is missing or empty")
        if head is None:
            if checkpoints is not None and checkpoints.has_records():
                raise self._refuse("its head checkpoint has no valid signature")
            if seq:
                raise self._refuse(f"it has {seq} events but its head checkpoint is missing or empty")
        elif head.seq > seq:
            raise self._refuse(f"it ends at seq {seq} but its checkpoint ({head.at}) records seq {head.seq}")
        elif head.seq == seq and head.hash != last_hash:
            raise self._refuse(f"its last event (seq {seq}) differs from the one its checkpoint ({head.at}) records")

    def _refuse(self, problem: str) -> AccessLogError:
        return AccessLogError(
            f"The access log in {self.paths.log_dir} cannot be trusted: {problem}. Nothing can be recorded, "
            "so do not show the data. Run `manage.py verify-log` and restore the log and its checkpoints "
            f"({self._checkpoints.folder if self._checkpoints else self.paths.checkpoint_dir}) from backup."
        )


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _truncate_quietly(fd: int, size: int) -> None:
    """Undo a failed write so that no half-written or unsynced line stays behind; best effort, as
    the disk may be failing, and a leftover torn line is removed by the next append anyway."""
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        pass


