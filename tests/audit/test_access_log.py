"""The access log: format, tamper detection with the right kind and seq, durability, concurrency, the verify-log CLI."""
from __future__ import annotations

import dataclasses
import errno
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

from audit.events import AccessEvent
from audit.key_checks import ensure_log_key
from audit.keys import load_log_key
from audit.log import checkpoints
from audit.log import format as log_format
from audit.log.files import LOG_FILE
from audit.log.format import GENESIS_HASH
from audit.log.read import read_events, users_named
from audit.log.verify import (
    BAD_CHECKPOINT,
    BROKEN_CHAIN,
    INSERTED,
    MISSING,
    MODIFIED,
    REORDERED,
    TRUNCATED,
    verify,
)
from audit.log.writer import AccessLog, AccessLogError
from config.paths import Paths
from config.settings import REPO_ROOT
from tests.audit import log_support as support


@pytest.fixture
def paths(paths: Paths) -> Paths:
    """The shared per-test folders (tests/conftest.py, which also sets the environment), with keys."""
    ensure_log_key(paths)
    return paths


def test_append_records_who_what_when_why_and_reads_back_newest_first(paths):
    before = datetime.now(UTC)
    stored = support.write(paths, 3)
    events = read_events(paths)
    assert [e["seq"] for e in events] == [3, 2, 1]
    assert events[::-1] == stored
    first = events[-1]
    assert (first["user"], first["role"], first["action"], first["outcome"], first["resource"]) == (
        "user0", "auditor", "phi_reveal", "success", "claims"
    )
    assert first["claim_keys"] == ["ck_0000000000000000"] and first["fields"] == ["member_name", "dob"]
    assert (first["purpose_of_use"], first["justification"]) == ("HOPERAT", "rebuttal review 0")
    assert first["details"] == {"page": "claim_detail", "n": 0}
    recorded = datetime.fromisoformat(first["ts"])
    assert recorded.utcoffset() == timedelta(0) and before <= recorded <= datetime.now(UTC)


def test_stored_lines_are_chained_and_signed_in_the_documented_format(paths):
    support.write(paths, 3)
    key = load_log_key(paths.key_dir)
    lines = support.lines(paths)
    assert [support.signed_line(support.body(line), key) for line in lines] == lines
    hashes = [json.loads(line)["hash"] for line in lines]
    assert [json.loads(line)["prev_hash"] for line in lines] == [GENESIS_HASH, *hashes[:2]]


def test_read_events_filters_by_time_user_action_claim_and_limit(paths):
    with AccessLog(paths) as log:
        log.append_many([support.event(i) for i in range(6)] + [support.event(9, action="sign_in", claim_keys=(), fields=())])
    events = read_events(paths)
    middle = datetime.fromisoformat(events[3]["ts"])
    assert [e["seq"] for e in read_events(paths, user="user1")] == [5, 2]
    assert [e["seq"] for e in read_events(paths, action="sign_in")] == [7]
    assert [e["seq"] for e in read_events(paths, claim_key="ck_0000000000000004")] == [5]
    assert [e["seq"] for e in read_events(paths, limit=2)] == [7, 6]
    assert all(e["ts"] >= events[3]["ts"] for e in read_events(paths, since=middle))
    assert all(e["ts"] < events[3]["ts"] for e in read_events(paths, until=middle))
    assert read_events(Paths(paths.data_dir / "none", paths.key_dir)) == []


def test_clean_log_verifies(paths):
    support.write(paths, 25)
    report = verify(paths)
    assert report.ok and report.events == 25 and report.checkpoints >= 2
    assert report.summary() == f"verified 25 events and {report.checkpoints} checkpoints: no problems"


def test_edited_event_is_a_modifiedevent(paths):
    support.write(paths)
    lines = support.lines(paths)
    lines[4] = lines[4].replace(b'"user":"user1"', b'"user":"mallory"')
    support.save(paths, lines)
    assert support.problems(paths) == [(5, MODIFIED)]


def test_edited_event_with_recomputed_hash_is_a_modifiedevent(paths):
    support.write(paths)
    lines = support.lines(paths)
    lines[9] = support.signed_line(support.body(lines[9]) | {"outcome": "denied"}, key=os.urandom(32))
    support.save(paths, lines)
    assert support.problems(paths) == [(10, MODIFIED)]


@pytest.mark.parametrize(("first", "last"), [(5, 5), (4, 6)])
def test_deleted_middle_events_are_missing(paths, first, last):
    support.write(paths)
    lines = support.lines(paths)
    del lines[first - 1:last]
    support.save(paths, lines)
    assert support.problems(paths) == [(first, MISSING)]


def test_deleted_tail_is_a_truncated_tail(paths):
    support.write(paths)
    support.save(paths, support.lines(paths)[:8])
    [problem] = verify(paths).problems
    assert (problem.seq, problem.kind) == (9, TRUNCATED)
    assert "records seq 10" in problem.detail


@pytest.mark.parametrize("position", [6, 10])
def test_forged_line_is_an_insertedevent(paths, position):
    support.write(paths)
    lines = support.lines(paths)
    forged = support.body(lines[position - 1]) | {"seq": position + 1, "user": "ghost", "claim_keys": ["ck_made_up"]}
    lines.insert(position, support.signed_line(forged, key=os.urandom(32)))
    support.save(paths, lines)
    assert support.problems(paths) == [(position + 1, INSERTED)]


def test_replayed_copy_of_an_event_is_an_insertedevent(paths):
    support.write(paths)
    lines = support.lines(paths)
    lines.insert(7, lines[2])
    support.save(paths, lines)
    assert support.problems(paths) == [(3, INSERTED)]


def test_swapped_events_are_reordered(paths):
    support.write(paths)
    lines = support.lines(paths)
    lines[4], lines[5] = lines[5], lines[4]
    support.save(paths, lines)
    assert support.problems(paths) == [(5, REORDERED)]


def test_forged_head_checkpoint_has_a_bad_signature(paths):
    support.write(paths)
    head = support.checkpoint_folder(paths) / checkpoints.HEAD_FILE
    claim = log_format.Checkpoint(seq=8, hash="0" * 64, at="2025-01-01T00:00:00.000000Z")
    forged = log_format.head_slot(log_format.encode_checkpoint(claim, key=os.urandom(32)))
    head.write_bytes(forged + head.read_bytes()[log_format.SLOT_SIZE:])
    assert support.problems(paths) == [(8, BAD_CHECKPOINT)]


def test_edited_history_checkpoint_has_a_bad_signature(paths):
    support.write(paths)
    history = support.checkpoint_folder(paths) / checkpoints.HISTORY_FILE
    history.write_bytes(history.read_bytes().replace(b'"seq":1,', b'"seq":7,'))
    assert support.problems(paths) == [(7, BAD_CHECKPOINT)]


def test_signed_event_that_does_not_follow_the_chain_is_a_broken_chain(paths):
    support.write(paths)
    lines = support.lines(paths)
    rogue = support.body(lines[-1]) | {"seq": 11, "prev_hash": "f" * 64}
    support.save(paths, lines + [support.signed_line(rogue, load_log_key(paths.key_dir))])
    assert support.problems(paths) == [(11, BROKEN_CHAIN)]


def test_writer_refuses_to_continue_a_log_that_lost_its_tail(paths):
    support.write(paths, 5)
    support.save(paths, support.lines(paths)[:4])
    with AccessLog(paths) as log, pytest.raises(AccessLogError, match="ends at seq 4 but its checkpoint"):
        log.append(support.event())
    assert support.problems(paths) == [(5, TRUNCATED)]


def test_torn_last_line_is_reported_then_removed_by_the_next_append(paths):
    support.write(paths, 3)
    with open(paths.log_dir / LOG_FILE, "ab") as log_file:
        log_file.write(b'{"action":"phi_reveal","claim_keys":["ck_')
    assert [kind for _, kind in support.problems(paths)] == [INSERTED]
    with AccessLog(paths) as log:
        assert log.append(support.event())["seq"] == 4
    assert verify(paths).ok and len(support.lines(paths)) == 4


# A failed log fsync rolls the event back; after a failed checkpoint fsync the event stays, durable.
@pytest.mark.parametrize(("failing_fsync", "next_seq"), [(1, 2), (2, 3)], ids=["log-fsync", "checkpoint-fsync"])
def test_failed_write_raises_and_leaves_a_valid_log(paths, monkeypatch, failing_fsync, next_seq):
    log = AccessLog(paths)
    log.append(support.event(0))
    calls = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == failing_fsync:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", fsync)
        with pytest.raises(AccessLogError, match="Do not show the data"):
            log.append(support.event(1))
    assert verify(paths).ok
    assert log.append(support.event(2))["seq"] == next_seq
    log.close()
    assert [e["seq"] for e in read_events(paths)] == list(range(next_seq, 0, -1))
    assert verify(paths).ok


class _Crash(BaseException):
    """Stands for the process dying: nothing in the writer catches it, so the files stay as a crash leaves them."""


def test_crash_between_the_log_and_its_checkpoint_leaves_every_acknowledged_event_vouched_for(paths, monkeypatch):
    """The log is made durable before its checkpoint is written, so a crash between the two leaves the head one
    commit behind, never ahead: the event of that commit was never acknowledged (append did not return), and
    every event that was is still vouched for, so cutting it off is reported."""
    log = AccessLog(paths)
    for i in range(3):
        log.append(support.event(i))

    def crash(*_: object) -> None:
        raise _Crash

    with monkeypatch.context() as patch:
        patch.setattr(checkpoints.CheckpointWriter, "write", crash)
        with pytest.raises(_Crash):
            log.append(support.event(3))
    log.close()
    written = support.lines(paths)
    assert verify(paths).ok and len(written) == 4
    support.save(paths, written[:2])  # the last acknowledged event cut off, with the one after it
    assert support.problems(paths) == [(3, TRUNCATED)]
    support.save(paths, written)
    with AccessLog(paths) as log:
        assert log.append(support.event(4))["seq"] == 5
    support.save(paths, support.lines(paths)[:4])
    assert support.problems(paths) == [(5, TRUNCATED)]


def test_unwritable_log_raises(paths):
    (paths.log_dir / LOG_FILE).mkdir(parents=True)
    with AccessLog(paths) as log, pytest.raises(AccessLogError, match="Do not show the data"):
        log.append(support.event())


WRITER = """
import sys
from audit.log.writer import AccessLog
from audit.events import AccessEvent
from config.paths import default_paths
with AccessLog(default_paths()) as log:
    for i in range(int(sys.argv[1])):
        log.append(AccessEvent(user=sys.argv[2], role="coder", action="page_view", resource=f"page {i}"))
"""


def test_two_processes_append_concurrently_without_loss(paths):
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, "1000", name], cwd=REPO_ROOT, env=os.environ.copy())
        for name in ("writer1", "writer2")
    ]
    assert [w.wait(timeout=60) for w in writers] == [0, 0]
    events = read_events(paths)
    assert sorted(e["seq"] for e in events) == list(range(1, 2001))
    assert sum(e["user"] == "writer1" for e in events) == 1000
    assert verify(paths).ok


def test_threads_share_one_log(paths):
    with AccessLog(paths) as log:
        threads = [threading.Thread(target=lambda: [log.append(support.event(i)) for i in range(50)]) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(e["seq"] for e in read_events(paths)) == list(range(1, 201))
    assert verify(paths).ok


def test_cli_verify_log_prints_problems_and_sets_the_exit_code(paths, capsys):
    support.write(paths, 12)
    assert support.run_cli("verify-log", "--data-dir", str(paths.data_dir)) == 0
    out = capsys.readouterr().out.splitlines()
    folder = support.checkpoint_folder(paths)
    assert out[0] == f"access log {paths.log_dir}: log {folder.name}, checkpoints in {folder}"
    assert out[1] == f"anchor key (Ed25519 public key, base64): {log_format.anchor_public_key(load_log_key(paths.key_dir))}"
    assert out[2:] == ["verified 12 events and 3 checkpoints: no problems"]
    lines = support.lines(paths)
    support.save(paths, lines[:5] + lines[6:])
    assert support.run_cli("verify-log") == 1
    out = capsys.readouterr().out.splitlines()
    assert out[2:] == ["seq 6: missing event: event 6 is missing from the log", "verified 11 events and 3 checkpoints: 1 problem(s)"]


def test_deeply_nested_garbage_line_is_reported_not_a_crash(paths):
    """json.loads raises RecursionError, not ValueError, on deep nesting: verify, the history reader
    and read_events must treat such a line as the damaged line it is."""
    support.write(paths, 3)
    lines = support.lines(paths)
    support.save(paths, lines[:2] + [b"[" * 100_000 + b"\n"] + lines[2:])
    with open(support.checkpoint_folder(paths) / checkpoints.HISTORY_FILE, "ab") as history:
        history.write(b"{" * 100_000 + b"\n")
    assert support.problems(paths) == [(0, BAD_CHECKPOINT), (2, INSERTED)]
    assert [e["seq"] for e in read_events(paths)] == [3, 2, 1]


def test_users_named_lists_every_user_once_and_then_reads_only_what_was_appended(paths):
    with AccessLog(paths) as log:
        for user in ("casey", "sso:0f3a-subject", "casey", "demo:auditor"):
            log.append(AccessEvent(user=user, role="auditor", action="page_view"))
    first = users_named(paths)
    assert first.names == {"casey", "sso:0f3a-subject", "demo:auditor"}
    log_file = paths.log_dir / LOG_FILE
    assert first.end == log_file.stat().st_size
    with log_file.open("ab") as torn:
        torn.write(b'{"user":"half-writ')  # a write in progress: not a line yet
    assert users_named(paths, first).names == first.names
    log_file.write_bytes(log_file.read_bytes()[:first.end])
    with AccessLog(paths) as log:
        log.append(AccessEvent(user="sso:second", role="coder", action="sign_in"))
    stale = dataclasses.replace(first, names=frozenset({"only-from-the-earlier-answer"}))
    assert users_named(paths, stale).names == {"only-from-the-earlier-answer", "sso:second"}  # the appended lines only
    elsewhere = dataclasses.replace(stale, file=(0, 0))
    assert users_named(paths, elsewhere).names == first.names | {"sso:second"}  # another file: read from the start
