"""verify checks a large log in two processes (audit.log.scan): its report, every problem with its seq, kind and
detail, and the counts, equals the report of one process reading every line, for a clean log and for each kind
of tampering on either side of the split and at it."""
from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from audit.key_checks import ensure_log_key
from audit.keys import load_log_key
from audit.log import scan
from audit.log import verify as verify_module
from audit.log.files import LOG_FILE
from audit.log.verify import VerifyReport, verify
from config.paths import Paths
from tests.audit import log_support as support

EVENTS = 40


@pytest.fixture
def paths(paths: Paths) -> Paths:
    ensure_log_key(paths)
    support.write(paths, EVENTS)
    return paths


def _split_index(paths: Paths) -> int:
    """The index of the first line the second process checks (the line starting after the middle byte)."""
    data = (paths.log_dir / LOG_FILE).read_bytes()
    end = data.rfind(b"\n") + 1
    return data[:end][: data.index(b"\n", end // 2) + 1].count(b"\n")


def _reports(paths: Paths, monkeypatch: pytest.MonkeyPatch) -> tuple[VerifyReport, VerifyReport, list[bool]]:
    """The report of one process, then of two, and for each helper started whether its stretch was regular."""
    monkeypatch.setattr(verify_module, "PARALLEL_BYTES", 1 << 40)
    alone = verify(paths)
    regular: list[bool] = []
    result = scan.Helper.result

    def spied(helper: scan.Helper) -> scan.Stretch | None:
        stretch = result(helper)
        regular.append(stretch is not None)
        return stretch

    monkeypatch.setattr(scan.Helper, "result", spied)
    monkeypatch.setattr(verify_module, "PARALLEL_BYTES", 0)
    return alone, verify(paths), regular


def _same(alone: VerifyReport, split: VerifyReport) -> None:
    assert split.problems == alone.problems
    assert (split.events, split.checkpoints, split.log_id) == (alone.events, alone.checkpoints, alone.log_id)


def test_a_clean_log_split_in_two_verifies_as_one(paths, monkeypatch):
    alone, split, regular = _reports(paths, monkeypatch)
    _same(alone, split)
    assert split.ok and split.events == EVENTS and regular == [True]


def _edit(at: int) -> Callable[[list[bytes], Paths], None]:
    def change(lines: list[bytes], _: Paths) -> None:
        lines[at] = lines[at].replace(b'"user":"user', b'"user":"mallory')
    return change


def _delete(at: int) -> Callable[[list[bytes], Paths], None]:
    def change(lines: list[bytes], _: Paths) -> None:
        del lines[at:at + 2]
    return change


def _swap(at: int) -> Callable[[list[bytes], Paths], None]:
    def change(lines: list[bytes], _: Paths) -> None:
        lines[at], lines[at + 1] = lines[at + 1], lines[at]
    return change


def _replay(at: int) -> Callable[[list[bytes], Paths], None]:
    def change(lines: list[bytes], _: Paths) -> None:
        lines.insert(at, lines[2])
    return change


def _forge(at: int) -> Callable[[list[bytes], Paths], None]:
    def change(lines: list[bytes], _: Paths) -> None:
        lines.insert(at, support.signed_line(support.body(lines[at - 1]) | {"user": "ghost"}, key=os.urandom(32)))
    return change


def _rechain(at: int) -> Callable[[list[bytes], Paths], None]:
    def change(lines: list[bytes], paths: Paths) -> None:
        lines[at] = support.signed_line(support.body(lines[at]) | {"prev_hash": "f" * 64}, load_log_key(paths.key_dir))
    return change


def _truncate(lines: list[bytes], _: Paths) -> None:
    del lines[-3:]


def _tear(lines: list[bytes], _: Paths) -> None:
    lines.append(lines[0][:100])


CHANGES = {
    "edited, first half": _edit(5), "edited, second half": _edit(30), "edited, first line of the second half": None,
    "deleted, second half": _delete(28), "swapped, second half": _swap(30), "swapped across the split": None,
    "replayed into the second half": _replay(35), "forged in the first half": _forge(8),
    "forged in the second half": _forge(33), "chain broken, second half": _rechain(31), "tail removed": _truncate,
    "torn last line": _tear,
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_tampered_log_split_in_two_gets_the_report_of_one_process(paths, monkeypatch, name):
    split_at = _split_index(paths)
    assert 10 < split_at < 30  # the cases above fall on the sides they name
    change = CHANGES[name] or {"edited, first line of the second half": _edit(split_at),
                               "swapped across the split": _swap(split_at - 1)}[name]
    lines = support.lines(paths)
    change(lines, paths)
    support.save(paths, lines)
    alone, split, regular = _reports(paths, monkeypatch)
    assert alone.problems  # each change is caught
    _same(alone, split)
    assert len(regular) == 1


def test_the_helper_checks_its_half_while_verify_reads_the_other(paths):
    """The helper must not wait for verify to finish its own half before it starts: it gets what it needs at its
    start, so it checks its stretch and exits without result() being asked (once, it waited on its standard
    input until result() sent the key, and verify took the time of both halves, one after the other)."""
    log = paths.log_dir / LOG_FILE
    with open(log, "rb") as fh:
        helper = scan.Helper(fh.fileno(), 0, log.stat().st_size, load_log_key(paths.key_dir), frozenset())
        try:
            helper._process.wait(timeout=30)
        except Exception:
            helper._process.kill()
            raise
        stretch = helper.result()
    assert stretch is not None and stretch.lines == EVENTS
