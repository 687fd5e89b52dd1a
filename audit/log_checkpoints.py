"""Signed checkpoints of the access log, kept outside the log store (in Paths.checkpoint_dir).

A checkpoint names the log's last sequence number and hash, signed under a key derived from the log
key. Whoever deletes the newest events cannot re-sign it, so the log visibly ends before its
checkpoint. Two files:

- `head`: the latest checkpoint, rewritten on every commit. It has two fixed-size slots written in
  turn, so a write torn by a crash can spoil only the slot being written; the other still holds the
  previous commit.
- `history.jsonl`: append-only, one checkpoint at the first commit of each UTC day and whenever the
  log crosses a multiple of HISTORY_EVERY events, so verify can check old parts of the log against
  signatures too, at a cost of a few bytes per thousand events.

Callers hold the access log's lock while writing; reading is safe at any time.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HEAD_FILE = "head"
HISTORY_FILE = "history.jsonl"
SLOT_SIZE = 256
HISTORY_EVERY = 1000
# A distinct label, so that an event MAC can never pass for a checkpoint signature or the reverse.
_KEY_LABEL = b"codeaudit access-log checkpoint v1"
_MAC_TAG = b',"mac":"'
_MAC_SUFFIX_LEN = len(_MAC_TAG) + 64 + 2  # ,"mac":"<64 hex>"}


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    source: str = ""  # where it was read ("head slot 1", "history line 7"), for reports


@dataclass(frozen=True)
class UnreadableCheckpoint:
    """A checkpoint record whose signature or shape is wrong: forged, edited or torn."""

    source: str
    reason: str
    claimed_seq: int | None


Record = Checkpoint | UnreadableCheckpoint


def canonical_json(value: Any) -> bytes:
    """The one serialisation that is hashed and signed: sorted keys, no spaces, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def checkpoint_key(log_key: bytes) -> bytes:
    return hmac.digest(log_key, _KEY_LABEL, "sha256")


def open_durable(path: Path, flags: int) -> int:
    """Open `path`, creating it 0600 if missing; a new file's directory entry is fsync'ed so that the
    file itself survives a crash, not only its contents."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        return os.open(path, flags)
    except FileNotFoundError:
        fd = os.open(path, flags | os.O_CREAT, 0o600)
        try:
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            os.close(fd)
            raise
        return fd


def encode(checkpoint: Checkpoint, key: bytes) -> bytes:
    body = canonical_json({"at": checkpoint.at, "hash": checkpoint.hash, "seq": checkpoint.seq})
    mac = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    return body[:-1] + _MAC_TAG + mac + b'"}'


def decode(raw: bytes, key: bytes, source: str) -> Record:
    record = raw.rstrip(b" \n\0")
    body = record[:-_MAC_SUFFIX_LEN] + b"}"
    mac = record[-_MAC_SUFFIX_LEN + len(_MAC_TAG):-2]
    well_formed = record[-_MAC_SUFFIX_LEN:].startswith(_MAC_TAG) and record.endswith(b'"}')
    if not well_formed or not hmac.compare_digest(hmac.new(key, body, hashlib.sha256).hexdigest().encode(), mac):
        return UnreadableCheckpoint(source, "its signature does not verify under the log key", claimed_seq(record))
    fields = json.loads(body)
    return Checkpoint(seq=fields["seq"], hash=fields["hash"], at=fields["at"], source=source)


def claimed_seq(record: bytes) -> int | None:
    """The seq a damaged or forged JSON record claims, for reports; None if it names none."""
    try:
        seq = json.loads(record).get("seq")
    except (ValueError, AttributeError):
        return None
    return seq if isinstance(seq, int) else None


def history_due(previous: Checkpoint | None, new: Checkpoint) -> bool:
    return (
        previous is None
        or previous.at[:10] != new.at[:10]
        or previous.seq // HISTORY_EVERY != new.seq // HISTORY_EVERY
    )


def read_slots(raw: bytes, key: bytes) -> list[Record | None]:
    """Decode a head file's slots, by position; None for a slot never written."""
    slots = [raw[i:i + SLOT_SIZE] for i in range(0, 2 * SLOT_SIZE, SLOT_SIZE)]
    return [decode(slot, key, f"head slot {n}") if slot.strip(b" \n\0") else None for n, slot in enumerate(slots, 1)]


def newest(records: Iterable[Record | None]) -> Checkpoint | None:
    return max((r for r in records if isinstance(r, Checkpoint)), key=lambda c: c.seq, default=None)


def read_all(folder: Path, log_key: bytes) -> tuple[list[Record], list[Record]]:
    """Every checkpoint record: the history lines in file order, and the written head slots."""
    key = checkpoint_key(log_key)
    history_path, head_path = folder / HISTORY_FILE, folder / HEAD_FILE
    lines = history_path.read_bytes().split(b"\n") if history_path.exists() else []
    history = [decode(line, key, f"history line {n}") for n, line in enumerate(lines, 1) if line]
    head = read_slots(head_path.read_bytes(), key) if head_path.exists() else []
    return history, [slot for slot in head if slot is not None]


class CheckpointWriter:
    """Writes one process's checkpoints. Not thread-safe: the access log serialises its calls."""

    def __init__(self, folder: Path, log_key: bytes) -> None:
        self.folder = folder
        self._key = checkpoint_key(log_key)
        self._head_fd: int | None = None
        self._history_fd: int | None = None

    def read_head(self) -> tuple[Checkpoint | None, int]:
        """The newest valid head checkpoint (None if none) and the slot index to write next."""
        slots = read_slots(os.pread(self._head(), 2 * SLOT_SIZE, 0), self._key)
        latest = newest(slots)
        return latest, 0 if latest is None else 1 - slots.index(latest)

    def has_records(self) -> bool:
        """True if the head file holds anything; with no valid slot, that means it was forged or damaged."""
        return os.fstat(self._head()).st_size > 0

    def write(self, checkpoint: Checkpoint, slot: int, previous: Checkpoint | None) -> None:
        record = encode(checkpoint, self._key)
        padded = record + b" " * (SLOT_SIZE - 1 - len(record)) + b"\n"
        head = self._head()
        os.pwrite(head, padded, slot * SLOT_SIZE)
        os.fsync(head)
        if history_due(previous, checkpoint):
            if self._history_fd is None:
                self._history_fd = open_durable(self.folder / HISTORY_FILE, os.O_WRONLY | os.O_APPEND)
            os.write(self._history_fd, record + b"\n")
            os.fsync(self._history_fd)

    def reopen_if_replaced(self) -> bool:
        """Drop file handles whose path now names another file (or none), so writes reach the files
        that verify reads. True if any was dropped: what the caller knew of the head is stale."""
        replaced = False
        for name, attr in ((HEAD_FILE, "_head_fd"), (HISTORY_FILE, "_history_fd")):
            fd = getattr(self, attr)
            if fd is not None and not same_file(fd, self.folder / name):
                os.close(fd)
                setattr(self, attr, None)
                replaced = True
        return replaced

    def close(self) -> None:
        for fd in (self._head_fd, self._history_fd):
            if fd is not None:
                os.close(fd)
        self._head_fd = self._history_fd = None

    def _head(self) -> int:
        if self._head_fd is None:
            self._head_fd = open_durable(self.folder / HEAD_FILE, os.O_RDWR)
        return self._head_fd


def same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)
