"""Checkpoints: a missing or emptied head or history is reported (with or without a cut tail) and the
writer refuses to continue such a log; checkpoints follow a data folder restored to another path, and a
log deleted or replaced in place is still caught."""
from __future__ import annotations

import hashlib
import hmac
import shutil
from pathlib import Path

import pytest

from audit.key_checks import ensure_log_key
from audit.log.checkpoints import HEAD_FILE, HISTORY_FILE
from audit.log.files import LOG_FILE, open_log_key
from audit.log.format import checkpoint_key
from audit.log.identity import DATA_FOLDER_FILE
from audit.log.verify import MISSING_CHECKPOINT, ORPHANED, REPLACED, TRUNCATED, verify
from audit.log.writer import AccessLog, AccessLogError
from config.paths import Paths
from tests.audit import log_support as support


@pytest.fixture
def paths(paths: Paths) -> Paths:
    """The shared per-test folders (tests/conftest.py, which also sets the environment), with keys."""
    ensure_log_key(paths)
    return paths


def _damage(paths: Paths, name: str, how: str) -> None:
    path = support.checkpoint_folder(paths) / name
    if how == "deleted":
        path.unlink()
    else:
        path.write_bytes(b"" if how == "emptied" else b"\0" * path.stat().st_size)


# Ten single appends on one day: the history holds seq 1 (the first commit), the head seq 10 and 9.
@pytest.mark.parametrize("how", ["deleted", "emptied", "zeroed"])
def test_lost_head_is_a_missing_checkpoint_named_after_the_newest_checkpoint_left(paths, how):
    support.write(paths)
    _damage(paths, HEAD_FILE, how)
    [problem] = verify(paths).problems
    assert (problem.seq, problem.kind) == (2, MISSING_CHECKPOINT)
    assert "head" in problem.detail and "after seq 1" in problem.detail
    assert support.run_cli("verify-log") == 1


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_lost_history_is_a_missing_checkpoint(paths, how):
    support.write(paths)
    _damage(paths, HISTORY_FILE, how)
    [problem] = verify(paths).problems
    assert (problem.seq, problem.kind) == (1, MISSING_CHECKPOINT)
    assert HISTORY_FILE in problem.detail
    assert support.run_cli("verify-log") == 1


# In place, and in a data folder restored to another path (found by the log's identity).
@pytest.mark.parametrize("where", ["in place", "restored"])
@pytest.mark.parametrize(("lost", "expected"), [
    ([HEAD_FILE], [(2, MISSING_CHECKPOINT)]),
    ([HISTORY_FILE], [(1, MISSING_CHECKPOINT), (9, TRUNCATED)]),
    ([HEAD_FILE, HISTORY_FILE], [(1, MISSING_CHECKPOINT), (1, MISSING_CHECKPOINT)]),
])
def test_cut_tail_with_lost_checkpoints_is_reported(paths, tmp_path, where, lost, expected):
    support.write(paths)
    if where == "restored":
        paths = _copy_data_folder(paths, tmp_path / "restored", move=True)
    support.save(paths, support.lines(paths)[:8])
    for name in lost:
        _damage(paths, name, "deleted")
    assert support.problems(paths) == expected
    assert support.run_cli("verify-log", "--data-dir", str(paths.data_dir)) == 1


@pytest.mark.parametrize("name", [HEAD_FILE, HISTORY_FILE])
def test_writer_refuses_to_continue_a_log_whose_checkpoints_are_lost(paths, name):
    support.write(paths, 3)
    _damage(paths, name, "deleted")
    with AccessLog(paths) as log, pytest.raises(AccessLogError, match="cannot be trusted"):
        log.append(support.event())
    assert len(support.lines(paths)) == 3


def _copy_data_folder(paths: Paths, to: Path, move: bool) -> Paths:
    """A data folder restored to another path with the same key folder, the original kept or gone."""
    shutil.copytree(paths.data_dir, to)
    if move:
        shutil.rmtree(paths.data_dir)
    return Paths(to, paths.key_dir)


def test_data_folder_restored_to_another_path_verifies_and_continues(paths, tmp_path):
    support.write(paths)
    folder = support.checkpoint_folder(paths)
    restored = _copy_data_folder(paths, tmp_path / "restored", move=True)
    report = verify(restored)
    assert (report.ok, report.events, report.checkpoint_folder) == (True, 10, folder)
    assert support.run_cli("verify-log", "--data-dir", str(restored.data_dir)) == 0
    with AccessLog(restored) as log:
        assert log.append(support.event())["seq"] == 11
    assert verify(restored).ok
    assert (folder / DATA_FOLDER_FILE).read_text().splitlines()[0] == str(restored.data_dir.resolve())


def test_restored_log_is_still_checked_against_its_own_checkpoints(paths, tmp_path):
    support.write(paths)
    restored = _copy_data_folder(paths, tmp_path / "restored", move=True)
    support.save(restored, support.lines(restored)[:8])
    assert support.problems(restored) == [(9, TRUNCATED)]


def test_copy_left_behind_falls_behind_its_checkpoints_once_the_other_copy_is_written(paths, tmp_path):
    support.write(paths)
    restored = _copy_data_folder(paths, tmp_path / "restored", move=False)
    with AccessLog(restored) as log:
        log.append(support.event())
    assert support.problems(paths) == [(11, TRUNCATED)]
    with AccessLog(paths) as log, pytest.raises(AccessLogError, match="ends at seq 10"):
        log.append(support.event())


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_log_deleted_or_emptied_in_place_is_a_truncated_tail(paths, how):
    support.write(paths)
    log_file = paths.log_dir / LOG_FILE
    log_file.unlink() if how == "deleted" else log_file.write_bytes(b"")
    [problem] = verify(paths).problems
    assert (problem.seq, problem.kind) == (1, TRUNCATED) and "records seq 10" in problem.detail
    with AccessLog(paths) as log, pytest.raises(AccessLogError, match="ends at seq 0"):
        log.append(support.event())


def test_log_replaced_by_another_data_folders_log_is_a_replaced_log(paths, tmp_path):
    other = Paths(tmp_path / "other", paths.key_dir)
    support.write(paths)
    support.write(other, 12)
    own = support.checkpoint_folder(paths)
    shutil.copyfile(other.log_dir / LOG_FILE, paths.log_dir / LOG_FILE)
    [problem] = verify(paths).problems
    assert (problem.seq, problem.kind) == (1, REPLACED) and str(own) in problem.detail
    with AccessLog(paths) as log, pytest.raises(AccessLogError, match="another log's"):
        log.append(support.event())
    assert verify(other).ok


@pytest.mark.parametrize("how", ["claim deleted", "claim forged"])
def test_log_deleted_with_its_data_folder_claim_is_an_orphaned_checkpoint_folder(paths, tmp_path, how):
    support.write(paths)
    own = support.checkpoint_folder(paths)
    (paths.log_dir / LOG_FILE).unlink()
    if how == "claim deleted":
        (own / DATA_FOLDER_FILE).unlink()
    else:  # names another data folder that holds a log, without the key's signature
        other = Paths(tmp_path / "other", paths.key_dir)
        support.write(other, 2)
        (own / DATA_FOLDER_FILE).write_text(f"{other.data_dir.resolve()}\n")
    [problem] = verify(paths).problems
    assert problem.kind == ORPHANED and str(own) in problem.detail and "seq 10" in problem.detail
    assert support.run_cli("verify-log", "--data-dir", str(paths.data_dir)) == 1


def test_data_folder_claim_is_signed_and_bound_to_the_log(paths):
    support.write(paths)
    folder = support.checkpoint_folder(paths)
    path, mac = (folder / DATA_FOLDER_FILE).read_text().splitlines()
    key = checkpoint_key(open_log_key(paths))
    expected = hmac.new(key, b"data folder\0" + folder.name.encode() + b"\0" + path.encode(), hashlib.sha256).hexdigest()
    assert (path, mac) == (str(paths.data_dir.resolve()), expected)
