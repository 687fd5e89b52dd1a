"""The backup archive: what it holds, its manifest, and writing it (`manage.py backup`).

A tar file (POSIX pax) of these members, each 0600, the manifest last:
- `data/store.duckdb`, `data/users.sqlite`, `data/reviews.sqlite`, `data/REAL_DATA_INGESTED` (those that exist)
  and `data/access_log/events.jsonl`: the data folder's files, at their place in it;
- `log_checkpoints/head`, `log_checkpoints/history.jsonl`, `log_checkpoints/data_folder`: the log's checkpoint
  folder, which lives in the key folder (`<key folder>/log_checkpoints/<log identity>/`). Checkpoints are
  signatures, not keys;
- `manifest.json`: format, creation time, versions, the log's identity and last event, and for every member its
  size and SHA-256; signed with HMAC-SHA256 under a key derived from the log key (label below), so a member
  altered together with its SHA-256 is refused as well. Written last, so an archive cut short has no manifest.

Keys are never in it (backup/keyfile.py). The PHI the store and the review store hold is sealed by the vault,
so the archive holds no plaintext PHI (tests/backup/test_backup_restore.py scans it).
"""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import platform
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from audit.durable import fsync_path
from audit.events import AccessEvent
from audit.log.files import open_log_key
from backup.snapshot import CHECKPOINT_FILES, Snapshot, cut
from config.paths import Paths
from review.sql_files import sql as review_sql

FORMAT = "codeaudit-backup-1"
MANIFEST = "manifest.json"
STORE, USERS, REVIEWS = "data/store.duckdb", "data/users.sqlite", "data/reviews.sqlite"
MARKER, LOG = "data/REAL_DATA_INGESTED", "data/access_log/events.jsonl"
CHECKPOINTS = "log_checkpoints/"
MEMBERS = (STORE, USERS, REVIEWS, MARKER, LOG, *(CHECKPOINTS + name for name in CHECKPOINT_FILES))
_MANIFEST_KEY_LABEL = b"codeaudit backup manifest v1"

Record = Callable[[AccessEvent], None]


def manifest_mac(manifest: dict[str, Any], log_key: bytes) -> str:
    """HMAC-SHA256 of the manifest without its `mac` (canonical JSON), under a key derived from the log key."""
    body = {k: v for k, v in manifest.items() if k != "mac"}
    key = hmac.digest(log_key, _MANIFEST_KEY_LABEL, "sha256")
    return hmac.new(key, json.dumps(body, sort_keys=True, separators=(",", ":")).encode(), hashlib.sha256).hexdigest()


class _Hashing:
    """Reads `size` bytes from a descriptor from offset 0 (os.pread: the descriptor's position is not used),
    hashing what passes."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd, self.size, self.pos, self.sha256 = fd, size, 0, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.pos if n < 0 else min(n, self.size - self.pos)
        data = os.pread(self.fd, n, self.pos) if n else b""
        if len(data) < n:
            raise OSError(f"a file shrank while it was backed up (expected {self.size} bytes)")
        self.pos += len(data)
        self.sha256.update(data)
        return data


@dataclass
class _Writer:
    tar: tarfile.TarFile
    mtime: float
    members: dict[str, dict[str, Any]]

    def add(self, name: str, fd: int, size: int) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o600, self.mtime
        source = _Hashing(fd, size)
        self.tar.addfile(info, source)
        self.members[name] = {"size": size, "sha256": source.sha256.hexdigest()}

    def add_bytes(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), 0o600, self.mtime
        self.tar.addfile(info, io.BytesIO(data))
        self.members[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def add_file(self, name: str, path: Path) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            self.add(name, fd, os.fstat(fd).st_size)
        finally:
            os.close(fd)


def _migrations(snapshot: Snapshot) -> list[str]:
    conn = snapshot.stores.get(REVIEWS)
    return sorted(row[0] for row in conn.execute(review_sql("store/migrations_applied"))) if conn else []


def _write_members(writer: _Writer, snapshot: Snapshot, staging: Path) -> None:
    writer.add(STORE, snapshot.store_fd, snapshot.store_size)
    for name in (USERS, REVIEWS):
        if name in snapshot.stores:
            copy = staging / Path(name).name
            snapshot.back_up_sqlite(name, copy)
            writer.add_file(name, copy)
    if snapshot.marker is not None:
        writer.add_bytes(MARKER, snapshot.marker)
    writer.add(LOG, snapshot.log_fd, snapshot.log_size)
    for name, data in snapshot.checkpoints.items():
        writer.add_bytes(CHECKPOINTS + name, data)


def _new_private_file(path: Path, data: bytes | None = None) -> int:
    """Create `path` 0600, never over an existing file; returns its descriptor, or writes `data` and closes it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    if data is None:
        return fd
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_path(path.parent)
    return -1


def write_backup(paths: Paths, out: Path, record: Record, event: AccessEvent,
                 keys: tuple[Path, bytes] | None = None) -> dict[str, Any]:
    """Record `event` (the backup's `export`), take the snapshot and write the archive to `out`, a new file
    (never over an existing one; a failed run leaves no file there), and the sealed keys to `keys[0]` if given.
    Returns the manifest. The event is recorded first, so the snapshot holds it: no export unrecorded."""
    log_key = open_log_key(paths)
    record(event)
    created = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix=".codeaudit-backup-", dir=out.parent) as staging_dir:
        staging = Path(staging_dir)
        partial = staging / "archive.tar"
        stores = {USERS: paths.users_db, REVIEWS: paths.reviews_db}
        with cut(paths, stores) as snapshot, os.fdopen(_new_private_file(partial), "wb") as fh:
            members: dict[str, dict[str, Any]] = {}
            with tarfile.open(fileobj=fh, mode="w", format=tarfile.PAX_FORMAT) as tar:
                writer = _Writer(tar, created.timestamp(), members)
                _write_members(writer, snapshot, staging)
                manifest = {
                    "format": FORMAT, "created_at": created.isoformat(timespec="seconds"),
                    "versions": {"backup_format": FORMAT, "python": platform.python_version(), "duckdb": duckdb.__version__,
                                 "sqlite": sqlite3.sqlite_version, "review_store_migrations": _migrations(snapshot)},
                    "log": {"identity": snapshot.log_identity, "seq": snapshot.last_seq, "hash": snapshot.last_hash},
                    "members": members,
                }
                manifest["mac"] = manifest_mac(manifest, log_key)
                writer.add_bytes(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        if keys is not None:
            _new_private_file(keys[0], keys[1])
        try:
            os.link(partial, out)  # never replaces a file that appeared meanwhile
        except OSError:
            if keys is not None:
                keys[0].unlink()
            raise
        fsync_path(out.parent)
    return manifest
