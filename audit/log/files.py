"""The access log's files on disk: its key, opening files durably, locking, reading lines from the end.

The log folder (Paths.log_dir) holds LOG_FILE, the events one per line, and LOCK_FILE, whose flock
every writer holds exclusively for read-last-event, write, fsync and checkpoint, and verify holds
shared while it takes its snapshot.
"""
from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from audit.keys import load_log_key, require
from config.paths import Paths, private_folder

LOG_FILE = "events.jsonl"
LOCK_FILE = "events.lock"


def open_log_key(paths: Paths) -> bytes:
    """The log key; KeyProblem (saying what to restore) if there is none."""
    return require(load_log_key(paths.key_dir), "access-log key", paths.key_dir)


def missing_log(paths: Paths) -> str | None:
    """A sentence if the data folder holds no access log (a typo'd or empty folder), else None: commands
    that check or anchor a log refuse such a folder rather than pass it or start a log in it."""
    events = paths.log_dir / LOG_FILE
    if events.is_file() and events.stat().st_size > 0:
        return None
    return (f"there is no access log in {paths.data_dir}; check that --data-dir (or CODEAUDIT_DATA_DIR) names "
            "the data folder whose log you mean")


def open_durable(path: Path, flags: int) -> int:
    """Open `path`, creating it 0600 if missing; a new file's directory entry is fsync'ed so that the
    file itself survives a crash, not only its contents."""
    private_folder(path.parent)
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


def same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def lines_newest_first(fd: int, size: int, block: int = 1 << 16) -> Iterator[tuple[bytes, int]]:
    """Complete lines from the end backwards, each with the offset just past its newline.
    Bytes after the last newline (a write in progress, or torn by a crash) are skipped."""
    pos, pending, line_end = size, b"", None
    while pos > 0:
        step = min(block, pos)
        pos -= step
        buf = os.pread(fd, step, pos) + pending
        stop = len(buf)
        while (newline := buf.rfind(b"\n", 0, stop)) != -1:
            if line_end is not None:
                yield buf[newline + 1:stop], line_end
            line_end = pos + newline + 1
            stop = newline
        pending = buf[:stop]
    if line_end is not None:
        yield pending, line_end


def lines_oldest_first(fd: int, block: int = 1 << 16) -> Iterator[bytes]:
    """Complete lines from the start, read lazily; bytes after the last newline are skipped."""
    pos, pending = 0, b""
    while chunk := os.pread(fd, block, pos):
        pos += len(chunk)
        *complete, pending = (pending + chunk).split(b"\n")
        yield from complete


@contextmanager
def shared_lock(lock_path: Path) -> Iterator[None]:
    """Hold the log's lock shared (writers wait); a log never written has no lock file and no writer."""
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except FileNotFoundError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)
