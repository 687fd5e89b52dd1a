"""Checkpoints: a missing or emptied head or history is reported (with or without a cut tail), and the
writer refuses to continue such a log."""
from __future__ import annotations

import pytest

from audit.keys import ensure_keys
from audit.log.checkpoints import HEAD_FILE, HISTORY_FILE
from audit.log.verify import MISSING_CHECKPOINT, TRUNCATED, verify
from audit.log.writer import AccessLog, AccessLogError
from audit.paths import Paths
from tests.audit import log_support as support


@pytest.fixture
def paths(paths: Paths) -> Paths:
    """The shared per-test folders (tests/conftest.py, which also sets the environment), with keys."""
    ensure_keys(paths.key_dir)
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


@pytest.mark.parametrize(("lost", "expected"), [
    ([HEAD_FILE], [(2, MISSING_CHECKPOINT)]),
    ([HISTORY_FILE], [(1, MISSING_CHECKPOINT), (9, TRUNCATED)]),
    ([HEAD_FILE, HISTORY_FILE], [(1, MISSING_CHECKPOINT), (1, MISSING_CHECKPOINT)]),
])
def test_cut_tail_with_lost_checkpoints_is_reported(paths, lost, expected):
    support.write(paths)
    support.save(paths, support.lines(paths)[:8])
    for name in lost:
        _damage(paths, name, "deleted")
    assert support.problems(paths) == expected
    assert support.run_cli("verify-log") == 1


@pytest.mark.parametrize("name", [HEAD_FILE, HISTORY_FILE])
def test_writer_refuses_to_continue_a_log_whose_checkpoints_are_lost(paths, name):
    support.write(paths, 3)
    _damage(paths, name, "deleted")
    with AccessLog(paths) as log, pytest.raises(AccessLogError, match="cannot be trusted"):
        log.append(support.event())
    assert len(support.lines(paths)) == 3
