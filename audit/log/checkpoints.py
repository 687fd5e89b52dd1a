"""Signed checkpoints of the access log, kept outside the log store (beside the keys).

A checkpoint names the log's last sequence number and hash, signed under a key derived from the log
key (audit.log.format). Whoever deletes the newest events cannot re-sign it, so the log visibly ends
before its checkpoint. Two files in a log's checkpoint folder:

- `head`: the latest checkpoint, rewritten on every commit. It has two fixed-size slots written in
  turn, so a write torn by a crash can spoil only the slot being written; the other still holds the
  previous commit.
- `history.jsonl`: append-only, one checkpoint at the first commit of each UTC day and whenever the
  log crosses a multiple of HISTORY_EVERY events, so verify can check old parts of the log against
  signatures too, at a cost of a few bytes per thousand events.

Callers hold the access log's lock while writing; reading is safe at any time.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from audit.log.files import open_durable, same_file
from audit.log.format import (
    SLOT_SIZE,
    Checkpoint,
    Record,
    checkpoint_key,
    decode_checkpoint,
    encode_checkpoint,
    head_slot,
    read_slots,
)

HEAD_FILE = "head"
HISTORY_FILE = "history.jsonl"
HISTORY_EVERY = 1000


def history_due(previous: Checkpoint | None, new: Checkpoint) -> bool:
    return (
        previous is None
        or previous.at[:10] != new.at[:10]
        or previous.seq // HISTORY_EVERY != new.seq // HISTORY_EVERY
    )


def newest(records: Iterable[Record | None]) -> Checkpoint | None:
    return max((r for r in records if isinstance(r, Checkpoint)), key=lambda c: c.seq, default=None)


@dataclass(frozen=True)
class StoredCheckpoints:
    """Every checkpoint record of one log, and which of its two files were found at all."""

    folder: Path | None  # None: no folder found for the log
    history: list[Record]  # history lines, in file order
    head: list[Record]  # the head slots ever written
    history_found: bool
    head_found: bool

    @property
    def records(self) -> list[Record]:
        return self.history + self.head

    def where(self, name: str) -> str:
        """' <path of the file>' for reports, or '' when no folder was found."""
        return f" {self.folder / name}" if self.folder else ""


def read_all(folder: Path | None, log_key: bytes) -> StoredCheckpoints:
    if folder is None:
        return StoredCheckpoints(None, [], [], False, False)
    key = checkpoint_key(log_key)
    history_path, head_path = folder / HISTORY_FILE, folder / HEAD_FILE
    lines = history_path.read_bytes().split(b"\n") if history_path.exists() else []
    history = [decode_checkpoint(line, key, f"history line {n}") for n, line in enumerate(lines, 1) if line]
    head = read_slots(head_path.read_bytes(), key) if head_path.exists() else []
    return StoredCheckpoints(
        folder, history, [slot for slot in head if slot is not None], history_path.exists(), head_path.exists()
    )


class CheckpointWriter:
    """Writes one process's checkpoints. Not thread-safe: the access log serialises its calls."""

    def __init__(self, folder: Path, log_key: bytes) -> None:
        self.folder = folder
        self._head_path, self._history_path = folder / HEAD_FILE, folder / HISTORY_FILE
        self._key = checkpoint_key(log_key)
        self._head_fd: int | None = None
        self._history_fd: int | None = None

    def read_head(self) -> tuple[Checkpoint | None, int]:
        """The newest valid head checkpoint (None if none) and the slot index to write next."""
        head = self._head(create=False)
        if head is None:
            return None, 0
        slots = read_slots(os.pread(head, 2 * SLOT_SIZE, 0), self._key)
        latest = newest(slots)
        return latest, 0 if latest is None else 1 - slots.index(latest)

    def has_records(self) -> bool:
        """True if the head file holds anything; with no valid slot, that means it was forged or damaged."""
        head = self._head(create=False)
        return head is not None and os.fstat(head).st_size > 0

    def history_lost(self) -> bool:
        """True if history.jsonl is missing or empty. Every log's first commit writes it (before the
        head), so a log with events and no history lost it."""
        if self._history_fd is not None:  # reopen_if_replaced() has checked it is still the file
            return os.fstat(self._history_fd).st_size == 0
        try:
            return self._history_path.stat().st_size == 0
        except FileNotFoundError:
            return True

    def write(self, checkpoint: Checkpoint, slot: int, previous: Checkpoint | None) -> None:
        """History first, then head: a crash between the two leaves a history one commit ahead of the
        head (harmless), never a head whose log has no history."""
        record = encode_checkpoint(checkpoint, self._key)
        if history_due(previous, checkpoint):
            if self._history_fd is None:
                self._history_fd = open_durable(self._history_path, os.O_WRONLY | os.O_APPEND)
            os.write(self._history_fd, record + b"\n")
            os.fsync(self._history_fd)
        head = self._head(create=True)
        os.pwrite(head, head_slot(record), slot * SLOT_SIZE)
        os.fsync(head)

    def reopen_if_replaced(self) -> bool:
        """Drop file handles whose path now names another file (or none), so writes reach the files
        that verify reads. True if any was dropped: what the caller knew of the head is stale."""
        replaced = False
        for path, attr in ((self._head_path, "_head_fd"), (self._history_path, "_history_fd")):
            fd = getattr(self, attr)
            if fd is not None and not same_file(fd, path):
                os.close(fd)
                setattr(self, attr, None)
                replaced = True
        return replaced

    def close(self) -> None:
        for fd in (self._head_fd, self._history_fd):
            if fd is not None:
                os.close(fd)
        self._head_fd = self._history_fd = None

    def _head(self, create: bool) -> int | None:
        if self._head_fd is None:
            try:
                self._head_fd = (open_durable if create else os.open)(self._head_path, os.O_RDWR)
            except FileNotFoundError:
                return None
        return self._head_fd
