"""Anchors: a signed statement of the log's head kept elsewhere catches a rollback of the log together
with its checkpoints, which nothing on the machine can see."""
from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from audit.key_checks import ensure_log_key
from audit.keys import load_log_key
from audit.log.anchors import AnchorRefused, issue
from audit.log.format import Anchor, anchor_public_key
from audit.log.read import read_events
from audit.log.verify import BAD_ANCHOR, UNANCHORED, verify
from audit.log.writer import AccessLog
from config.paths import Paths
from tests.audit import log_support as support


@pytest.fixture
def paths(paths: Paths) -> Paths:
    """The shared per-test folders (tests/conftest.py, which also sets the environment), with keys."""
    ensure_log_key(paths)
    return paths


def _issue(paths: Paths, to: Path) -> Path:
    to.write_text(issue(paths).to_text())
    return to


def _snapshot(paths: Paths, to: Path) -> None:
    """A backup of the data folder and the log's checkpoints: what a rollback restores."""
    shutil.copytree(paths.data_dir, to / "data")
    shutil.copytree(support.checkpoint_folder(paths), to / "checkpoints")


def _roll_back(paths: Paths, backup: Path) -> None:
    folder = support.checkpoint_folder(paths)
    shutil.rmtree(paths.data_dir)
    shutil.rmtree(folder)
    shutil.copytree(backup / "data", paths.data_dir)
    shutil.copytree(backup / "checkpoints", folder)


def test_anchor_states_the_head_and_a_third_party_checks_it_with_the_public_key_alone(paths):
    support.write(paths)
    anchor = json.loads(issue(paths).to_text())
    head = read_events(paths)[0]
    assert (head["seq"], head["action"], head["role"], head["resource"]) == (11, "anchor", "cli", "access_log")
    first = json.loads(support.lines(paths)[0])
    assert {k: anchor[k] for k in ("log", "seq", "hash", "event_ts")} == {
        "log": first["hash"], "seq": 11, "hash": head["hash"], "event_ts": head["ts"]
    }
    assert anchor["format"] == "codeaudit access-log anchor v1" and anchor["issued_at"] >= head["ts"]
    # Independently of the implementation: the key is HKDF-SHA256 of the log key under its own label...
    seed = HKDF(hashes.SHA256(), 32, salt=None, info=b"codeaudit access-log anchor v1").derive(load_log_key(paths.key_dir))
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert anchor["public_key"] == base64.b64encode(public).decode() == head["details"]["anchor_key"]
    # ...and the signature covers the canonical JSON of every other field.
    signature = base64.b64decode(anchor.pop("signature"))
    statement = json.dumps(anchor, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    Ed25519PublicKey.from_public_bytes(public).verify(signature, statement)


def test_log_that_extends_its_anchors_verifies_with_them(paths, tmp_path):
    support.write(paths, 3)
    first = _issue(paths, tmp_path / "first.json")
    support.write(paths, 3)
    second = tmp_path / "second.json"
    second.write_text(json.dumps(json.loads(_issue(paths, tmp_path / "raw.json").read_text())))  # reformatted
    report = verify(paths, [first, second])
    assert report.ok and report.summary() == "verified 8 events, 3 checkpoints and 2 anchor(s): no problems"
    assert support.run_cli("verify-log", "--anchor", str(first), "--anchor", str(second)) == 0


def test_log_rolled_back_with_its_checkpoints_passes_alone_but_fails_its_anchor(paths, tmp_path):
    support.write(paths)
    _snapshot(paths, tmp_path / "backup")
    anchor = _issue(paths, tmp_path / "anchor.json")
    support.write(paths, 2)
    _roll_back(paths, tmp_path / "backup")
    assert verify(paths).ok  # nothing inside the machine can tell
    [problem] = verify(paths, [anchor]).problems
    assert (problem.seq, problem.kind) == (11, UNANCHORED)
    assert "ends at seq 10" in problem.detail and "rolled back" in problem.detail
    assert support.run_cli("verify-log", "--anchor", str(anchor)) == 1


def test_log_rewritten_under_the_key_after_a_rollback_fails_its_anchor(paths, tmp_path):
    support.write(paths)
    _snapshot(paths, tmp_path / "backup")
    anchor = _issue(paths, tmp_path / "anchor.json")
    _roll_back(paths, tmp_path / "backup")
    with AccessLog(paths) as log:
        log.append_many([support.event(i, user="mallory") for i in range(3)])
    assert verify(paths).ok
    assert [(p.seq, p.kind) for p in verify(paths, [anchor]).problems] == [(11, UNANCHORED)]


def test_anchor_altered_forged_or_of_another_log_is_a_bad_anchor(paths, tmp_path):
    support.write(paths)
    genuine = json.loads(issue(paths).to_text())
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(genuine | {"seq": 5}))
    forged = tmp_path / "forged.json"
    fields = {k: v for k, v in genuine.items() if k not in ("format", "signature")}
    other_key = Anchor(**fields | {"public_key": anchor_public_key(b"k" * 32)}).signed(b"k" * 32)
    forged.write_text(other_key.to_text())
    other = Paths(tmp_path / "other", paths.key_dir)
    support.write(other, 2)
    of_another_log = _issue(other, tmp_path / "other.json")
    junk = tmp_path / "junk.json"
    junk.write_text("minutes of the meeting")
    problems = verify(paths, [altered, forged, of_another_log, junk]).problems
    assert [(p.seq, p.kind) for p in problems] == [(0, BAD_ANCHOR), (3, BAD_ANCHOR), (5, BAD_ANCHOR), (11, BAD_ANCHOR)]
    details = {p.seq: p.detail for p in problems}
    assert "not JSON" in details[0] and "another log" in details[3]
    assert "signature does not verify" in details[5] and "another key" in details[11]


def test_anchor_is_refused_on_a_log_that_fails_verification(paths, tmp_path, capsys):
    support.write(paths)
    support.save(paths, support.lines(paths)[:8])
    with pytest.raises(AnchorRefused):
        issue(paths)
    out = tmp_path / "anchor.json"
    assert support.run_cli("anchor", "--out", str(out)) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "no anchor was issued" in captured.err and not out.exists()
    assert len(support.lines(paths)) == 8


def test_anchor_command_writes_a_new_file_and_never_replaces_one(paths, tmp_path, capsys):
    support.write(paths, 2)
    out = tmp_path / "anchor.json"
    assert support.run_cli("anchor", "--out", str(out)) == 0
    kept = out.read_text()
    assert json.loads(kept)["seq"] == 3 and "verify-log --anchor" in capsys.readouterr().err
    assert support.run_cli("anchor", "--out", str(out)) == 2
    assert out.read_text() == kept and "never replaced" in capsys.readouterr().err
    assert support.run_cli("anchor") == 0
    assert json.loads(capsys.readouterr().out)["seq"] == 4


def test_anchor_files_that_are_not_files_stop_verify_log_with_one_line(paths, tmp_path, capsys):
    support.write(paths, 2)
    fifo = tmp_path / "anchor.fifo"
    os.mkfifo(fifo)
    for not_a_file in (tmp_path, fifo, tmp_path / "missing.json"):
        assert support.run_cli("verify-log", "--anchor", str(not_a_file)) == 2
        [line] = capsys.readouterr().err.splitlines()
        assert line.startswith("verify-log: ") and str(not_a_file) in line
    huge = tmp_path / "huge.json"
    huge.write_text("[" * 1_000_000)
    assert [(p.seq, p.kind) for p in verify(paths, [huge]).problems] == [(0, BAD_ANCHOR)]
    assert support.run_cli("anchor", "--out", str(tmp_path / "no such folder" / "anchor.json")) == 2
    assert "folder you can write to" in capsys.readouterr().err


@pytest.mark.parametrize("folder", ["typo", "empty"])
def test_verify_log_anchor_and_export_log_refuse_a_folder_without_a_log_and_create_nothing(paths, tmp_path, capsys, folder):
    support.write(paths, 2)
    where = tmp_path / folder
    if folder == "empty":
        where.mkdir()
    for command in (["verify-log"], ["anchor"], ["export-log", "--format", "csv"]):
        assert support.run_cli(*command, "--data-dir", str(where)) == 2
        [line] = capsys.readouterr().err.splitlines()
        assert f"no access log in {where}" in line and "--data-dir" in line
    assert where.exists() == (folder == "empty") and not (where / "access_log").exists()
    assert len(support.lines(paths)) == 2
