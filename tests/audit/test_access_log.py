"""The access log: format, tamper detection with the right kind and seq, durability, concurrency, exports."""
from __future__ import annotations

import argparse
import csv
import errno
import hashlib
import hmac
import io
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

# fhir.resources 8.x: the top-level modules are FHIR R5 and there is no R4 package. R4B's AuditEvent
# has the same structure as R4's (AuditEvent did not change between them), so validate against R4B.
from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent
from fhir.resources.R4B.bundle import Bundle as FhirBundle

from audit import log_checkpoints
from audit.access_log import (
    BAD_CHECKPOINT,
    BROKEN_CHAIN,
    GENESIS_HASH,
    INSERTED,
    LOG_FILE,
    MISSING,
    MODIFIED,
    REORDERED,
    TRUNCATED,
    AccessLog,
    AccessLogError,
    read_events,
    verify,
)
from audit.events import ACTIONS, AccessEvent
from audit.key_checks import ensure_log_key
from audit.keys import load_log_key
from audit.log_cli import register
from audit.log_export import ACT_REASON, CLAIM_SYSTEM, CSV_COLUMNS, export_csv, export_fhir, fhir_bundle
from audit.paths import REPO_ROOT, Paths


@pytest.fixture
def paths(paths: Paths) -> Paths:
    """The shared per-test folders (tests/conftest.py, which also sets the environment), with keys."""
    ensure_log_key(paths)
    return paths


def _event(i: int = 0, **changes) -> AccessEvent:
    fields = dict(
        user=f"user{i % 3}", role="auditor", action="phi_reveal", resource="claims",
        claim_keys=(f"ck_{i:016x}",), fields=("member_name", "dob"), purpose_of_use="HOPERAT",
        justification=f"rebuttal review {i}", details={"page": "claim_detail", "n": i},
    )
    return AccessEvent(**(fields | changes))


def _write(paths: Paths, n: int = 10) -> list[dict]:
    with AccessLog(paths) as log:
        return [log.append(_event(i)) for i in range(n)]


def _lines(paths: Paths) -> list[bytes]:
    return (paths.log_dir / LOG_FILE).read_bytes().splitlines(keepends=True)


def _save(paths: Paths, lines: list[bytes]) -> None:
    (paths.log_dir / LOG_FILE).write_bytes(b"".join(lines))


def _signed_line(body: dict, key: bytes) -> bytes:
    """A line in the documented format, built independently of the implementation."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    digest = hashlib.sha256(canonical).hexdigest()
    mac = hmac.new(key, canonical, hashlib.sha256).hexdigest()
    return canonical[:-1] + f',"hash":"{digest}","mac":"{mac}"}}\n'.encode()


def _body(line: bytes) -> dict:
    record = json.loads(line)
    del record["hash"], record["mac"]
    return record


def _problems(paths: Paths) -> list[tuple[int, str]]:
    return [(p.seq, p.kind) for p in verify(paths).problems]


def test_append_records_who_what_when_why_and_reads_back_newest_first(paths):
    before = datetime.now(UTC)
    stored = _write(paths, 3)
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
    _write(paths, 3)
    key = load_log_key(paths.key_dir)
    lines = _lines(paths)
    assert [_signed_line(_body(line), key) for line in lines] == lines
    hashes = [json.loads(line)["hash"] for line in lines]
    assert [json.loads(line)["prev_hash"] for line in lines] == [GENESIS_HASH, *hashes[:2]]


def test_read_events_filters_by_time_user_action_claim_and_limit(paths):
    with AccessLog(paths) as log:
        log.append_many([_event(i) for i in range(6)] + [_event(9, action="sign_in", claim_keys=(), fields=())])
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
    _write(paths, 25)
    report = verify(paths)
    assert report.ok and report.events == 25 and report.checkpoints >= 2
    assert report.summary() == f"verified 25 events and {report.checkpoints} checkpoints: no problems"


def test_edited_event_is_a_modified_event(paths):
    _write(paths)
    lines = _lines(paths)
    lines[4] = lines[4].replace(b'"user":"user1"', b'"user":"mallory"')
    _save(paths, lines)
    assert _problems(paths) == [(5, MODIFIED)]


def test_edited_event_with_recomputed_hash_is_a_modified_event(paths):
    _write(paths)
    lines = _lines(paths)
    lines[9] = _signed_line(_body(lines[9]) | {"outcome": "denied"}, key=os.urandom(32))
    _save(paths, lines)
    assert _problems(paths) == [(10, MODIFIED)]


@pytest.mark.parametrize(("first", "last"), [(5, 5), (4, 6)])
def test_deleted_middle_events_are_missing(paths, first, last):
    _write(paths)
    lines = _lines(paths)
    del lines[first - 1:last]
    _save(paths, lines)
    assert _problems(paths) == [(first, MISSING)]


def test_deleted_tail_is_a_truncated_tail(paths):
    _write(paths)
    _save(paths, _lines(paths)[:8])
    [problem] = verify(paths).problems
    assert (problem.seq, problem.kind) == (9, TRUNCATED)
    assert "records seq 10" in problem.detail


@pytest.mark.parametrize("position", [6, 10])
def test_forged_line_is_an_inserted_event(paths, position):
    _write(paths)
    lines = _lines(paths)
    forged = _body(lines[position - 1]) | {"seq": position + 1, "user": "ghost", "claim_keys": ["ck_made_up"]}
    lines.insert(position, _signed_line(forged, key=os.urandom(32)))
    _save(paths, lines)
    assert _problems(paths) == [(position + 1, INSERTED)]


def test_replayed_copy_of_an_event_is_an_inserted_event(paths):
    _write(paths)
    lines = _lines(paths)
    lines.insert(7, lines[2])
    _save(paths, lines)
    assert _problems(paths) == [(3, INSERTED)]


def test_swapped_events_are_reordered(paths):
    _write(paths)
    lines = _lines(paths)
    lines[4], lines[5] = lines[5], lines[4]
    _save(paths, lines)
    assert _problems(paths) == [(5, REORDERED)]


def test_forged_head_checkpoint_has_a_bad_signature(paths):
    _write(paths)
    head = paths.checkpoint_dir / log_checkpoints.HEAD_FILE
    claim = log_checkpoints.Checkpoint(seq=8, hash="0" * 64, at="2025-01-01T00:00:00.000000Z")
    forged = log_checkpoints.encode(claim, key=os.urandom(32)).ljust(log_checkpoints.SLOT_SIZE - 1) + b"\n"
    head.write_bytes(forged + head.read_bytes()[log_checkpoints.SLOT_SIZE:])
    assert _problems(paths) == [(8, BAD_CHECKPOINT)]


def test_edited_history_checkpoint_has_a_bad_signature(paths):
    _write(paths)
    history = paths.checkpoint_dir / log_checkpoints.HISTORY_FILE
    history.write_bytes(history.read_bytes().replace(b'"seq":1,', b'"seq":7,'))
    assert _problems(paths) == [(7, BAD_CHECKPOINT)]


def test_signed_event_that_does_not_follow_the_chain_is_a_broken_chain(paths):
    _write(paths)
    lines = _lines(paths)
    rogue = _body(lines[-1]) | {"seq": 11, "prev_hash": "f" * 64}
    _save(paths, lines + [_signed_line(rogue, load_log_key(paths.key_dir))])
    assert _problems(paths) == [(11, BROKEN_CHAIN)]


def test_writer_refuses_to_continue_a_log_that_lost_its_tail(paths):
    _write(paths, 5)
    _save(paths, _lines(paths)[:4])
    with AccessLog(paths) as log, pytest.raises(AccessLogError, match="ends at seq 4 but its checkpoint"):
        log.append(_event())
    assert _problems(paths) == [(5, TRUNCATED)]


def test_torn_last_line_is_reported_then_removed_by_the_next_append(paths):
    _write(paths, 3)
    with open(paths.log_dir / LOG_FILE, "ab") as log_file:
        log_file.write(b'{"action":"phi_reveal","claim_keys":["ck_')
    assert [kind for _, kind in _problems(paths)] == [INSERTED]
    with AccessLog(paths) as log:
        assert log.append(_event())["seq"] == 4
    assert verify(paths).ok and len(_lines(paths)) == 4


# A failed log fsync rolls the event back; after a failed checkpoint fsync the event stays, durable.
@pytest.mark.parametrize(("failing_fsync", "next_seq"), [(1, 2), (2, 3)], ids=["log-fsync", "checkpoint-fsync"])
def test_failed_write_raises_and_leaves_a_valid_log(paths, monkeypatch, failing_fsync, next_seq):
    log = AccessLog(paths)
    log.append(_event(0))
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
            log.append(_event(1))
    assert verify(paths).ok
    assert log.append(_event(2))["seq"] == next_seq
    log.close()
    assert [e["seq"] for e in read_events(paths)] == list(range(next_seq, 0, -1))
    assert verify(paths).ok


def test_unwritable_log_raises(paths):
    (paths.log_dir / LOG_FILE).mkdir(parents=True)
    with AccessLog(paths) as log, pytest.raises(AccessLogError, match="Do not show the data"):
        log.append(_event())


WRITER = """
import sys
from audit.access_log import AccessLog
from audit.events import AccessEvent
from audit.paths import default_paths
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
        threads = [threading.Thread(target=lambda: [log.append(_event(i)) for i in range(50)]) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(e["seq"] for e in read_events(paths)) == list(range(1, 201))
    assert verify(paths).ok


def test_fhir_export_is_valid_r4_for_every_action(paths):
    outcomes = {"success": "0", "denied": "4", "failure": "8"}
    with AccessLog(paths) as log:
        log.append_many([
            _event(i, action=action, outcome=list(outcomes)[i % 3]) for i, action in enumerate(ACTIONS)
        ] + [_event(99, action="page_view", claim_keys=(), fields=(), details={}, purpose_of_use="", justification="")])
    events = read_events(paths)[::-1]
    resources = export_fhir(events)
    for event, resource in zip(events, resources):
        FhirAuditEvent.model_validate(resource)
        assert resource["outcome"] == outcomes[event["outcome"]]
        assert resource["recorded"] == event["ts"]
        [agent] = resource["agent"]
        assert agent["who"]["identifier"]["value"] == event["user"] and agent["requestor"] is True
        assert [c["text"] for c in agent.get("role", [])] == [event["role"]]
        claims = [e["what"]["identifier"]["value"] for e in resource.get("entity", []) if "what" in e]
        assert claims == event["claim_keys"]
        if event["purpose_of_use"]:
            [coding] = agent["purposeOfUse"][0]["coding"]
            assert coding == {"system": ACT_REASON, "code": "HOPERAT", "display": "healthcare operations"}
    assert resources[0]["entity"][0]["what"]["identifier"]["system"] == CLAIM_SYSTEM
    bundle = fhir_bundle(events)
    FhirBundle.model_validate(bundle)
    assert bundle["type"] == "collection" and len(bundle["entry"]) == len(ACTIONS) + 1


def test_csv_export_has_one_row_per_event_and_defuses_formulas(paths):
    with AccessLog(paths) as log:
        log.append_many([_event(0), _event(1, justification="=HYPERLINK(\"http://x\")")])
    rows = list(csv.reader(io.StringIO(export_csv(read_events(paths)[::-1]))))
    assert tuple(rows[0]) == CSV_COLUMNS
    first = dict(zip(CSV_COLUMNS, rows[1]))
    assert (first["seq"], first["user"], first["claim_keys"]) == ("1", "user0", "ck_0000000000000000")
    assert first["fields"] == "member_name;dob"
    assert json.loads(first["details"]) == {"n": 0, "page": "claim_detail"}
    assert rows[2][CSV_COLUMNS.index("justification")].startswith("'=")
    assert len(rows) == 3


def _run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_verify_log_prints_problems_and_sets_the_exit_code(paths, capsys):
    _write(paths, 12)
    assert _run_cli("verify-log", "--data-dir", str(paths.data_dir)) == 0
    assert capsys.readouterr().out.strip().endswith("verified 12 events and 3 checkpoints: no problems")
    lines = _lines(paths)
    _save(paths, lines[:5] + lines[6:])
    assert _run_cli("verify-log") == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "seq 6: missing event: event 6 is missing from the log"
    assert out[-1] == "verified 11 events and 3 checkpoints: 1 problem(s)"


def test_cli_export_log_writes_fhir_or_csv_and_records_the_export(paths, tmp_path, capsys):
    _write(paths, 4)
    today = datetime.now(UTC).date().isoformat()
    out = tmp_path / "bundle.json"
    assert _run_cli("export-log", "--format", "fhir", "--from", today, "--to", today, "--out", str(out)) == 0
    bundle = json.loads(out.read_text())
    FhirBundle.model_validate(bundle)
    assert [e["resource"]["id"] for e in bundle["entry"]] == [f"access-log-{i}" for i in range(1, 5)]
    assert _run_cli("export-log", "--format", "csv", "--to", "2000-01-01") == 0
    assert capsys.readouterr().out == ",".join(CSV_COLUMNS) + "\n"
    exports = read_events(paths, action="export")
    assert [e["details"]["events"] for e in exports] == [0, 4] and verify(paths).ok
    with pytest.raises(SystemExit):
        _run_cli("export-log", "--format", "csv", "--from", "2025-13-45")
