"""The log's bytes do not change: a log written by the code before the audit/log split still verifies."""
from __future__ import annotations

import shutil
from pathlib import Path

from audit.access_log import AccessLog, read_events, verify
from audit.events import AccessEvent
from audit.paths import Paths

WRITTEN_BEFORE_THE_SPLIT = Path(__file__).parent / "data" / "log_v1"
LEGACY_FOLDER = "7d365753ad9a6854"  # named by a hash of the path the data folder had when written


def _restore(paths: Paths) -> None:
    """Copy the checked-in log into this test's data and key folders, private as real ones are."""
    shutil.copytree(WRITTEN_BEFORE_THE_SPLIT / "data", paths.data_dir, dirs_exist_ok=True)
    shutil.copytree(WRITTEN_BEFORE_THE_SPLIT / "keys", paths.key_dir, dirs_exist_ok=True)
    for path in [paths.key_dir, *paths.key_dir.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)


def test_log_written_before_the_split_verifies_and_continues(paths: Paths):
    _restore(paths)
    paths.checkpoint_dir.parent.joinpath(LEGACY_FOLDER).rename(paths.checkpoint_dir)
    report = verify(paths)
    assert (report.ok, report.events, report.checkpoints) == (True, 12, 5)
    events = read_events(paths)
    assert [e["seq"] for e in events] == list(range(12, 0, -1))
    assert events[-1]["hash"] == "1f25cf2ef324c83f87b99aca8cf75a0de7f6db6c302d0fc67cc43ba3fc2d6531"
    with AccessLog(paths) as log:
        assert log.append(AccessEvent(user="alice", role="auditor", action="sign_in"))["seq"] == 13
    assert verify(paths).ok
