"""A deferred download's file survives other sessions' script runs until the browser fetches it
(views/download_files.py): the cause of 'Download.path: canceled' under load in bench/load.py."""
from __future__ import annotations

import pytest
from streamlit.runtime import media_file_manager
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.media_file_storage import MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from views import download_files


def _clicked(monkeypatch: pytest.MonkeyPatch) -> tuple[MediaFileManager, str]:
    """A session's deferred CSV download, clicked: the callable ran and the file's URL went to the browser."""
    monkeypatch.setattr(media_file_manager, "_get_session_id", lambda: "a-session")
    manager = MediaFileManager(MemoryMediaFileStorage("/media"))
    file_id = manager.add_deferred(lambda: b"rate\n0.1\n", "text/csv", "1.2.3", file_name="rates.csv")
    return manager, manager.execute_deferred(file_id).rsplit("/", 1)[-1]


def _other_sessions_finish_runs(manager: MediaFileManager, runs: int = 3) -> None:
    for _ in range(runs):
        manager.remove_orphaned_files()  # ScriptRunner calls this at the end of every session's run


def test_without_the_grace_the_file_is_gone_after_two_other_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cause, as Streamlit 1.60 has it: the produced file belongs to no session."""
    monkeypatch.setattr(MediaFileManager, "execute_deferred", download_files.ORIGINAL[0])
    monkeypatch.setattr(MediaFileManager, "remove_orphaned_files", download_files.ORIGINAL[1])
    manager, name = _clicked(monkeypatch)
    _other_sessions_finish_runs(manager)
    with pytest.raises(MediaFileStorageError):
        manager._storage.get_file(name)


def test_the_file_outlives_other_runs_within_the_grace_and_goes_after(monkeypatch: pytest.MonkeyPatch) -> None:
    download_files.install()
    download_files.install()  # idempotent
    clock = [1000.0]
    monkeypatch.setattr(download_files.time, "monotonic", lambda: clock[0])
    manager, name = _clicked(monkeypatch)
    _other_sessions_finish_runs(manager)
    assert manager._storage.get_file(name).content == b"rate\n0.1\n"
    clock[0] += download_files.GRACE_SECONDS + 1
    _other_sessions_finish_runs(manager)
    with pytest.raises(MediaFileStorageError):
        manager._storage.get_file(name)


def test_a_second_click_still_produces_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    download_files.install()
    manager, _ = _clicked(monkeypatch)
    _other_sessions_finish_runs(manager)
    deferred = next(iter(manager._deferred_callables))
    assert manager.execute_deferred(deferred).endswith(".csv")
