"""The access-log writer for changes made from the command line (`users ...`, `rotate-key`).

The log is opened at the first event, not before: a command refused before it changes anything (a
short password, a key that does not fit) creates no log key. A new log key is made only when no log
exists; `record` raises KeyProblem when the log exists without its key and AccessLogError when the
event cannot be written durably, and the command then changes nothing.
"""
from __future__ import annotations

from collections.abc import Callable

from audit.events import AccessEvent
from audit.key_checks import ensure_log_key
from audit.log.writer import AccessLog
from config.paths import Paths

Record = Callable[[AccessEvent], None]


def access_log_recorder(paths: Paths) -> Record:
    log: AccessLog | None = None

    def record(event: AccessEvent) -> None:
        nonlocal log
        if log is None:
            ensure_log_key(paths)
            log = AccessLog(paths)
        log.append(event)

    return record
