"""The command line as a scheduler would call it: parsed output, exit codes. A real process where the
process is what is checked (the first ingest, everything it writes on a refusal, the umask it inherits);
the same entry point in this process for the other calls, which start-up would only slow down."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from audit.log.read import read_events
from tests.cli_here import manage_here
from tests.queries.test_reviewed_contract import review_store_before_the_feed

REPO = Path(__file__).resolve().parents[2]
REQUIRED = ["claims", "audited_claims", "findings", "dx_codes", "denied_claims", "code_accuracy", "claim_accuracy",
            "drg_accuracy", "unspecified_rate", "invalid_code_rate", "denial_rate", "denied_dollar_rate",
            "coding_denial_share", "appeal_overturn_rate"]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def loaded_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Data and key folders loaded once per module by a real `manage.py ingest --json` process; each test
    works on a copy of its own (`loaded`)."""
    from tests.conftest import write_csv_file

    root = tmp_path_factory.mktemp("cli-loaded")
    data, keys, src = root / "data", root / "keys", root / "in"
    base = {"facility_id": "F1", "payer": "P", "coder_id": "C1", "encounter_type": "outpatient", "billed_amount": "100"}
    write_csv_file(src, "claims", [{"claim_id": "A", "service_date": "2025-01-31", **base},
                                   {"claim_id": "B", "service_date": "2025-02-01", **base, "payer": "Q"}])
    write_csv_file(src, "denials", [{"claim_id": "A", "payer": "P", "remit_date": "2025-03-01", "group_code": "CO", "carc": "16",
                                     "denied_amount": "25"}])
    env = {k: v for k, v in os.environ.items() if k not in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY")}
    run = subprocess.run([sys.executable, "manage.py", "ingest", str(src), "--json"], cwd=REPO, capture_output=True, text=True,
                         timeout=120, env={**env, "CODEAUDIT_DATA_DIR": str(data), "CODEAUDIT_KEY_DIR": str(keys)})
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"accepted": {"claims": 2, "claim_codes": 0, "audit_findings": 0, "denials": 1},
                                      "rejected": {"claims": 0, "claim_codes": 0, "audit_findings": 0, "denials": 0}}
    return data, keys


@pytest.fixture
def loaded(paths, loaded_site) -> Path:
    """This test's own copy of the module's loaded store with its keys and access log, at `paths`."""
    data, keys = loaded_site
    shutil.copytree(data, paths.data_dir, dirs_exist_ok=True)
    shutil.copytree(keys, paths.key_dir)
    return paths.store


def test_metrics_json_overall_and_by_month(loaded):
    overall = json.loads(manage_here("metrics", "--json", "--include-small-cells").stdout)
    assert len(overall) == 1 and set(REQUIRED) <= set(overall[0])
    assert (overall[0]["claims"], overall[0]["denied_claims"], overall[0]["denial_rate"]) == (2, 1, 0.5)
    assert overall[0]["denied_dollar_rate"] == 25 / 200 and overall[0]["code_accuracy"] is None
    by_month = json.loads(manage_here("metrics", "--by", "month", "--json", "--include-small-cells").stdout)
    assert [(r["month"], r["claims"], r["denial_rate"]) for r in by_month] == [("2025-01", 1, 1.0), ("2025-02", 1, 0.0)]
    scoped = json.loads(manage_here("metrics", "--from", "2025-02-01", "--to", "2025-02-01", "--payer", "Q", "--json",
                                    "--include-small-cells").stdout)
    assert scoped[0]["claims"] == 1 and scoped[0]["denied_claims"] == 0


def test_metrics_csv_by_payer(loaded):
    run = manage_here("metrics", "--by", "payer", "--format", "csv", "--include-small-cells")
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    assert [(r["payer"], r["claims"], r["denial_rate"]) for r in rows] == [("P", "1", "1.0"), ("Q", "1", "0.0")]
    assert list(rows[0])[:1 + len(REQUIRED)] == ["payer", *REQUIRED]


def test_bad_input_gets_a_sentence_and_a_nonzero_exit(loaded, tmp_path, write_csv):
    bad_date = manage_here("metrics", "--from", "2025-02-30")
    assert bad_date.returncode == 2 and "'2025-02-30' is not a date (YYYY-MM-DD)" in bad_date.stderr
    reversed_range = manage_here("metrics", "--from", "2025-03-01", "--to", "2025-01-01")
    assert reversed_range.returncode == 2 and "after the end date" in reversed_range.stderr
    typo = manage_here("metrics", "--data-dir", str(tmp_path / "typo"))
    assert typo.returncode == 2 and "does not exist" in typo.stderr and not (tmp_path / "typo").exists()
    src = tmp_path / "bad"
    write_csv(src, "claims", [{"claim_id": "Z", "facility_id": "F1", "payer": "P", "coder_id": "C1", "encounter_type": "inpatient",
                               "service_date": "2025-01-01", "billed_amount": "1", "ssn": "123-45-6789"}])
    before = loaded.read_bytes()
    run = manage("ingest", str(src))
    assert run.returncode == 2 and "column 8 of the header (3 characters) is not a known column" in run.stderr and "store is unchanged" in run.stderr
    assert "123-45-6789" not in run.stderr + run.stdout
    assert loaded.read_bytes() == before


def _claims(payer: str, count: int, start: int) -> list[dict[str, str]]:
    return [{"claim_id": f"K{start + i}", "facility_id": "F1", "payer": payer, "coder_id": "C1", "encounter_type": "outpatient",
             "service_date": "2025-01-10", "billed_amount": "100"} for i in range(count)]


def test_metrics_report_is_a_logged_export_without_formulas_or_small_cells(paths, tmp_path, write_csv):
    formulas = ['=HYPERLINK("http://example.invalid","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]
    rows = [r for i, payer in enumerate(formulas) for r in _claims(payer, 1, 100 * i)] + _claims("Big", 11, 1000)
    write_csv(tmp_path / "in", "claims", rows)
    assert manage_here("ingest", str(tmp_path / "in"), "--json").returncode == 0
    run = manage_here("metrics", "--by", "payer", "--format", "csv")
    assert run.returncode == 0, run.stderr
    out = {r["payer"]: r for r in csv.DictReader(io.StringIO(run.stdout))}
    assert set(out) == {"'" + f for f in formulas} | {"Big"}  # each formula neutralised, as the log export does
    assert all(r["claims"] == "" and r["denial_rate"] == "" and r["small_cells_suppressed"] == "True"
               for p, r in out.items() if p != "Big")
    assert out["Big"]["claims"] == "11" and out["Big"]["small_cells_suppressed"] == "False"
    event = read_events(paths, action="export", limit=1)[0]
    assert event["resource"] == "cli:metrics" and event["user"].startswith("cli:")
    assert event["details"]["by"] == "payer" and event["details"]["small_cells"] == "suppressed"

    included = manage_here("metrics", "--by", "payer", "--json", "--include-small-cells", "--from", "2025-01-01")
    assert {r["payer"]: r["claims"] for r in json.loads(included.stdout)}["@SUM(1+1)"] == 1
    event = read_events(paths, action="export", limit=1)[0]
    assert event["details"]["small_cells"] == "included" and event["details"]["filters"] == {"date_from": "2025-01-01"}
    suppressed = json.loads(manage_here("metrics", "--json").stdout)
    assert suppressed[0]["claims"] == 15 and suppressed[0]["small_cells_suppressed"] is False


def test_ingest_is_refused_when_its_event_cannot_be_logged(loaded, paths, tmp_path, write_csv):
    before = loaded.read_bytes()
    log_dir = paths.data_dir / "access_log"
    moved = paths.data_dir / "access_log.moved"
    log_dir.rename(moved)
    log_dir.write_text("not a folder")  # the log cannot be written
    write_csv(tmp_path / "more", "claims", _claims("P", 2, 500))
    run = manage("ingest", str(tmp_path / "more"), "--json")  # --json: no progress lines on stderr
    assert run.returncode == 2 and run.stdout == "" and "the store is unchanged" in run.stderr and "access log" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert loaded.read_bytes() == before
    log_dir.unlink()
    moved.rename(log_dir)
    ok = manage_here("ingest", str(tmp_path / "more"), "--json")
    assert ok.returncode == 0
    event = read_events(paths, action="ingest", limit=1)[0]
    con = duckdb.connect(str(loaded), read_only=True)
    try:
        runs = {r for (r,) in con.execute("SELECT run_id FROM ingest_runs").fetchall()}
    finally:
        con.close()
    assert event["details"]["run_id"] in runs and event["details"]["accepted"]["claims"] == 2


def test_everything_a_run_leaves_is_private_whatever_the_umask(paths, tmp_path, write_csv):
    write_csv(tmp_path / "in", "claims", _claims("P", 2, 1))
    data = tmp_path / "fresh" / "data"
    previous = os.umask(0o022)  # a typical login umask: what the commands inherit
    try:
        # the configured data folder is created by the first ingest, parents included (one named with --data-dir must exist)
        assert manage("ingest", str(tmp_path / "in"), "--json", CODEAUDIT_DATA_DIR=str(data)).returncode == 0
        assert manage("metrics", "--json", "--data-dir", str(data)).returncode == 0
        assert manage("anchor", "--data-dir", str(data)).returncode == 0
    finally:
        os.umask(previous)
    left = [p for root in (data, paths.key_dir) for p in [root, *root.rglob("*")]]
    assert any(p.parent.name == "log_checkpoints" for p in left) and (data / "store.duckdb") in left
    assert {str(p): oct(p.stat().st_mode & 0o777) for p in left if p.stat().st_mode & 0o077} == {}


def _older_review_store_with_a_final_finding(paths, store: Path, scratch: Path) -> str:
    """A review store as the release before the metrics feed left it, publishing one final agreeing finding on
    the first claim; that claim's key."""
    review_store_before_the_feed(paths.reviews_db, scratch)
    with duckdb.connect(str(store), read_only=True) as con:
        key = con.execute("SELECT claim_key FROM claims ORDER BY service_date LIMIT 1").fetchone()[0]
    final = "2025-03-02T00:00:00.000000+00:00"
    with sqlite3.connect(paths.reviews_db) as conn:
        conn.execute("INSERT INTO published_findings VALUES (?, 'R1', 1, 'F1', 'A1', '2025-03-02', 'ICD10CM_DX', 'E11.9', "
                     "'E11.9', 'agree', NULL, '0.00', ?, NULL, ?)", (key, final, final))
        conn.execute("UPDATE publication SET version = 1")
    return key


def test_metrics_count_the_findings_of_a_review_store_made_before_its_metrics_feed(loaded, paths, tmp_path):
    _older_review_store_with_a_final_finding(paths, loaded, tmp_path)
    overall = json.loads(manage_here("metrics", "--json", "--include-small-cells").stdout)
    assert (overall[0]["claims"], overall[0]["audited_claims"], overall[0]["findings"]) == (2, 1, 1)

