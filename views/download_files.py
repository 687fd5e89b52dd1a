"""Keep a deferred download's file on the server until the browser has fetched it.

Streamlit 1.60 produces a deferred download (st.download_button with a callable, as every governed
download here is: the export event is written before the file is built) in MediaFileManager.execute_deferred
and stores the file without tying it to any session. remove_orphaned_files, which runs at the end of every
script run of every session on the server, marks such a file at its first pass and deletes it at the second.
With many sessions at once, two other sessions' runs can end between the click and the browser's GET of
the file's URL: the GET gets a 404 and Chromium cancels the download ("Download.path: canceled"), though
the export event is already in the access log (bench/load.py saw this). Here each produced file is held as
in use for GRACE_SECONDS after it is made; then the usual two passes delete it.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from streamlit.runtime.media_file_manager import MediaFileManager

GRACE_SECONDS = 120.0
_HOLDER = "codeaudit:deferred-download-grace"  # a pseudo session in the manager's map of files in use
_made: dict[str, float] = {}  # file id -> when it was produced
_made_lock = threading.Lock()
# Streamlit's own methods, as imported (the tests show the cause with them)
ORIGINAL = (MediaFileManager.execute_deferred, MediaFileManager.remove_orphaned_files)


def _file_id(url: str) -> str:
    return url.rsplit("/", 1)[-1].split(".", 1)[0]


def _hold(manager: MediaFileManager, file_id: str, now: float) -> None:
    with _made_lock:
        _made[file_id] = now
    with manager._lock:
        manager._files_by_session_and_coord[_HOLDER][file_id] = file_id


def _release_old(manager: MediaFileManager, now: float) -> None:
    with _made_lock:
        old = [file_id for file_id, made in _made.items() if now - made > GRACE_SECONDS]
        for file_id in old:
            del _made[file_id]
    if not old:
        return
    with manager._lock:
        held = manager._files_by_session_and_coord.get(_HOLDER, {})
        for file_id in old:
            held.pop(file_id, None)


def install() -> None:
    """Patch MediaFileManager once per process (idempotent; dashboard.py calls it at every run)."""
    if getattr(MediaFileManager, "_codeaudit_grace", False):
        return
    execute_deferred, remove_orphaned_files = ORIGINAL

    def held_execute_deferred(self: MediaFileManager, file_id: str) -> str:
        url = execute_deferred(self, file_id)
        _hold(self, _file_id(url), time.monotonic())
        return url

    def graced_remove_orphaned_files(self: MediaFileManager, *args: Any, **kwargs: Any) -> None:
        _release_old(self, time.monotonic())
        remove_orphaned_files(self, *args, **kwargs)

    MediaFileManager.execute_deferred = held_execute_deferred  # type: ignore[method-assign]
    MediaFileManager.remove_orphaned_files = graced_remove_orphaned_files  # type: ignore[method-assign]
    MediaFileManager._codeaudit_grace = True  # type: ignore[attr-defined]
