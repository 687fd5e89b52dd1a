"""Reading the access log back: events newest first, filtered, for the log viewer and exports."""
from __future__ import annotations

import json
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audit.log.files import LOG_FILE, lines_newest_first
from audit.log.format import as_log_time
from config.paths import Paths


def read_events(
    paths: Paths,
    since: datetime | None = None,
    until: datetime | None = None,
    user: str | None = None,
    action: str | None = None,
    claim_key: str | None = None,
    limit: int | None = None,
    user_contains: str | None = None,
    users: Sequence[str] | None = None,
    actions: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """Events newest first, for the log viewer and exports: since inclusive, until exclusive (naive
    datetimes are UTC). `user` matches a user exactly, `user_contains` a part of the name (any case),
    `users` any of several; `actions` any of several actions. Reads backwards from the end and stops at the first event older than `since`
    or after `limit` matches, so recent pages stay fast on a large log. Does not verify: use verify()."""
    try:
        fd = os.open(paths.log_dir / LOG_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return []
    low, high = since and as_log_time(since), until and as_log_time(until)
    wanted = {"user": user, "action": action}
    part = user_contains.strip().lower() if user_contains else None
    found: list[dict[str, Any]] = []
    try:
        for line, _ in lines_newest_first(fd, os.fstat(fd).st_size):
            try:
                event = json.loads(line)
            except (ValueError, RecursionError):
                continue  # a damaged line; verify() reports it
            if not isinstance(event, dict):
                continue
            ts = str(event.get("ts", ""))
            if low and ts < low:
                break
            if (high and ts >= high) or any(v is not None and event.get(k) != v for k, v in wanted.items()):
                continue
            if actions is not None and event.get("action") not in actions:
                continue
            if claim_key is not None and claim_key not in event.get("claim_keys", ()):
                continue
            name = str(event.get("user", ""))
            if (part and part not in name.lower()) or (users is not None and name not in users):
                continue
            found.append(event)
            if limit is not None and len(found) >= limit:
                break
    finally:
        os.close(fd)
    return found



@dataclass(frozen=True)
class NamedUsers:
    """The user names found in the log file `file` (device, inode) up to byte `end`, just past a complete line."""

    names: frozenset[str]
    file: tuple[int, int]
    end: int


def users_named(paths: Paths, earlier: NamedUsers | None = None, block: int = 1 << 20) -> NamedUsers:
    """Every user name the log's events carry, as they carry it (local accounts, `sso:<subject>`, `demo:<role>`,
    the OS accounts of commands), for the Access log page's list of users. Given an earlier answer for the same
    log file, reads only the lines appended since; a log replaced or shorter than then is read from its start.
    Bytes after the last newline (a write in progress) wait for the next call. Does not verify: use verify()."""
    try:
        fd = os.open(paths.log_dir / LOG_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return NamedUsers(frozenset(), (0, 0), 0)
    try:
        stat = os.fstat(fd)
        file = (stat.st_dev, stat.st_ino)
        names: set[str] = set()
        pos = 0
        if earlier is not None and earlier.file == file and earlier.end <= stat.st_size:
            names, pos = set(earlier.names), earlier.end
        end, pending = pos, b""
        while chunk := os.pread(fd, block, pos):
            pos += len(chunk)
            *complete, pending = (pending + chunk).split(b"\n")
            for line in complete:
                end += len(line) + 1
                try:
                    event = json.loads(line)
                except (ValueError, RecursionError):
                    continue  # a damaged line; verify() reports it
                if isinstance(event, dict) and isinstance(event.get("user"), str) and event["user"]:
                    names.add(event["user"])
    finally:
        os.close(fd)
    return NamedUsers(frozenset(names), file, end)
