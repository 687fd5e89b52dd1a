"""Reading the access log back: events newest first, filtered, for the log viewer and exports."""
from __future__ import annotations

import json
import os
from collections.abc import Collection, Sequence
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

