"""Which checkpoint folder belongs to a log: the log's identity, and finding its folder wherever it moved.

A log's identity is the hash of its first event (seq 1). That event's MAC protects the hash, every
later event chains to it, and it travels inside the log, so a data folder restored to another path
(or another machine with the same key folder) still names its own checkpoints:
Paths.checkpoint_dir/<identity>/. The identity is read from line 1, or from line 2's prev_hash when
line 1 is damaged, so one edited line does not lose the checkpoints that show what else changed.

Each identity folder also names the data folder that last wrote the log (DATA_FOLDER_FILE), signed
under the checkpoint key and bound to the identity, so it cannot be edited to point elsewhere. That is
how a log deleted, emptied or replaced in place is still caught: its data folder's checkpoints are
found by path and do not match what now lies there. A copy of a data folder is the same log; the
last one written holds the claim, and the other one, behind its checkpoints, is reported. A folder
whose claim is gone, forged or names a data folder with no log is an orphan (orphans()): a log was
deleted together with its claim, and verify reports it. An unsigned claim (written before claims were
signed) counts as none; the writer signs it at its next append.

Before identities, checkpoint folders were named by a hash of the data folder's absolute path
(legacy_name). Such a folder is found by that name, or, after a restore to another path, by its head
matching the log's last event; the writer then renames it to the identity, once, under the log lock.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from audit.durable import fsync_path
from audit.log.checkpoints import HEAD_FILE, HISTORY_FILE, newest
from audit.log.files import LOG_FILE, lines_oldest_first
from audit.log.format import SLOT_SIZE, Checkpoint, Signer, checkpoint_key, read_slots, unseal
from config.paths import Paths, private_folder

DATA_FOLDER_FILE = "data_folder"
_LEGACY_NAME_LENGTH = 16
_IDENTITY_NAME = re.compile(r"[0-9a-f]{64}")
_CLAIM_LABEL = b"data folder\0"


@dataclass(frozen=True)
class Home:
    """Where a log's checkpoints are. `folder` is None only for a log with no identity yet (empty, or
    its first two lines damaged) whose data folder holds no other log's checkpoints."""

    folder: Path | None
    legacy: bool = False  # named by the old path hash: the writer renames it to the identity
    claimed: bool = False  # DATA_FOLDER_FILE already names this data folder
    displaced: Path | None = None  # another log's checkpoints, held by this data folder before


def log_identity(fd: int, signer: Signer) -> str | None:
    """The hash of the log's first event, from a valid line 1 or a valid line 2; None if neither."""
    for line in islice(lines_oldest_first(fd), 2):
        sealed = unseal(line, signer)
        if isinstance(sealed, str):
            continue
        seq, prev_hash, digest = sealed
        if seq == 1:
            return digest.decode()
        return prev_hash.decode() if seq == 2 else None
    return None


def identity_of(paths: Paths, signer: Signer) -> str | None:
    """The identity of the log in this data folder; None while it has none."""
    try:
        fd = os.open(paths.log_dir / LOG_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        return log_identity(fd, signer)
    finally:
        os.close(fd)


def legacy_name(data_dir: Path) -> str:
    """The name checkpoint folders had before identities: a hash of the data folder's absolute path."""
    return hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:_LEGACY_NAME_LENGTH]


def locate(paths: Paths, log_id: str | None, last: tuple[int, str] | None, log_key: bytes) -> Home:
    """Find the checkpoints of the log in `paths.data_dir`, whose identity is `log_id` and whose last
    valid event is `last` (seq, hash). Reads only: moving a legacy folder is adopt()'s job."""
    root, here, key = paths.checkpoint_dir, str(paths.data_dir.resolve()), checkpoint_key(log_key)
    own = root / log_id if log_id else None
    if own is not None and _claim(own, key) == here:
        return Home(own, claimed=True)
    held = _held_by(root, here, key)
    if own is not None and own.is_dir():
        displaced = held if held is not None and not _is_legacy(held) else None
        return Home(own, displaced=displaced)
    if held is not None:
        if _is_legacy(held):
            return Home(held, legacy=True)
        return Home(held) if own is None else Home(own, displaced=held)
    if last is not None and (moved := _legacy_ending_at(root, last, key)) is not None:
        return Home(moved, legacy=True)
    return Home(own)


def adopt(home: Home, paths: Paths, log_id: str, log_key: bytes) -> Path:
    """Make `home` the log's identity folder naming this data folder; call under the log's lock, once
    the log has been checked against it. Returns the folder's path from now on."""
    folder = home.folder or paths.checkpoint_dir / log_id
    if home.legacy:  # locate() found no folder named by the identity, so nothing is overwritten
        target = paths.checkpoint_dir / log_id
        os.rename(folder, target)
        fsync_path(target.parent)
        folder = target
    if not home.claimed:
        claim(folder, paths, log_key)
    return folder


def orphans(paths: Paths, log_key: bytes, known: set[Path]) -> list[tuple[Path, Checkpoint | None]]:
    """Identity folders in the key folder, other than `known` ones, that record events but whose log is
    nowhere: no valid claim, or a claim naming a data folder with no log. Each with its newest checkpoint."""
    key, found = checkpoint_key(log_key), []
    try:
        folders = sorted(f for f in paths.checkpoint_dir.iterdir() if _IDENTITY_NAME.fullmatch(f.name))
    except FileNotFoundError:
        return []
    for folder in folders:
        if folder in known or not _has_records(folder):
            continue
        owner = _claim(folder, key)
        if owner is None or not (Paths(Path(owner), paths.key_dir).log_dir / LOG_FILE).is_file():
            head = (folder / HEAD_FILE).read_bytes()[:2 * SLOT_SIZE] if (folder / HEAD_FILE).is_file() else b""
            found.append((folder, newest(read_slots(head, key))))
    return found


def claim(folder: Path, paths: Paths, log_key: bytes) -> None:
    """Record in the log's checkpoint folder that this data folder now writes the log, signed."""
    private_folder(folder)
    tmp = folder / f"{DATA_FOLDER_FILE}.tmp{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        here = str(paths.data_dir.resolve())
        os.write(fd, f"{here}\n{_claim_mac(checkpoint_key(log_key), folder.name, here)}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, folder / DATA_FOLDER_FILE)
    fsync_path(folder)


def _has_records(folder: Path) -> bool:
    return any(_size(folder / name) for name in (HEAD_FILE, HISTORY_FILE))


def _held_by(root: Path, here: str, key: bytes) -> Path | None:
    """The checkpoints this data folder holds by name (legacy) or by claim, if they record anything."""
    legacy = root / legacy_name(Path(here))
    if legacy.is_dir() and _has_records(legacy):
        return legacy
    try:
        folders = sorted(root.iterdir())
    except FileNotFoundError:
        return None
    return next((f for f in folders if _claim(f, key) == here and _has_records(f)), None)


def _legacy_ending_at(root: Path, last: tuple[int, str], key: bytes) -> Path | None:
    """A legacy folder whose head records exactly the log's last event: this log, moved before it was
    ever written under identities."""
    for folder in sorted(root.glob("?" * _LEGACY_NAME_LENGTH)):
        try:
            head = newest(read_slots((folder / HEAD_FILE).read_bytes()[:2 * SLOT_SIZE], key))
        except (FileNotFoundError, NotADirectoryError):
            continue
        if head is not None and (head.seq, head.hash) == last:
            return folder
    return None


def _is_legacy(folder: Path) -> bool:
    return len(folder.name) == _LEGACY_NAME_LENGTH


def _claim_mac(key: bytes, identity: str, data_dir: str) -> str:
    return hmac.new(key, _CLAIM_LABEL + identity.encode() + b"\0" + data_dir.encode(), hashlib.sha256).hexdigest()


def _claim(folder: Path, key: bytes) -> str | None:
    """The data folder the claim in `folder` names, if its signature holds; None otherwise."""
    try:
        lines = (folder / DATA_FOLDER_FILE).read_text(errors="replace").splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if len(lines) != 2 or not hmac.compare_digest(lines[1], _claim_mac(key, folder.name, lines[0])):
        return None
    return lines[0]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except (FileNotFoundError, NotADirectoryError):
        return 0
