"""The Parquet export and the metrics on Spark over it.

One small demo store (real ingest, with a completed review whose final findings the overlay adds), exported
twice. The export round-trips (row counts per table and partition equal the store's, the rows themselves
equal), a second export is byte-identical but for the manifest's time, and the PHI scan of the demo tests finds
nothing in it. Then one Spark session (local[2]) for the module: every figure of `manage.py metrics`, overall,
by every dimension and with filters, equals the DuckDB path's (counts exactly, the rest to 1e-12), and so does
the command's JSON. Without pyspark the Spark tests skip on a developer's machine and fail under CI=true.
"""
from __future__ import annotations

import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from audit.log.read import read_events
from config.paths import Paths
from data.demo import build_demo
from queries.metrics import DIMENSIONS, Filters, error_pareto, report_rows
from queries.parquet_export import CLAIM_TABLES, REFERENCE_TABLES, ExportError, export_parquet, read_manifest
from queries.store import connect_read_only
from tests.cli_here import manage_here
from tests.conftest import Recorded
from tests.data.test_demo_and_phi import _phi_values, _tokens
from views.log_words import resource

STORE_TABLES = [name for name in (*CLAIM_TABLES, *REFERENCE_TABLES) if name != "reviewed_findings"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("parquet")
    paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
    raw = root / "raw"
    with pytest.MonkeyPatch.context() as mp:
        for var in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY"):
            mp.delenv(var, raising=False)
        build_demo(paths, n_claims=800, recorder=Recorded(), keep_raw=raw)
    events = Recorded()
    first = export_parquet(paths, root / "export", recorder=events, user="cli:test", role="cli")
    second = export_parquet(paths, root / "again", recorder=events, user="cli:test", role="cli", now=datetime(2030, 1, 1, tzinfo=UTC))
    scoped = export_parquet(paths, root / "scoped", date_from=date(2025, 6, 1), date_to=date(2025, 9, 30),
                            recorder=events, user="cli:test", role="cli")
    return {"paths": paths, "raw": raw, "first": first, "second": second, "scoped": scoped, "events": events, "root": root}


def _store_counts(paths: Paths) -> dict[str, int]:
    con = duckdb.connect(str(paths.store), read_only=True)
    try:
        return {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in STORE_TABLES}
    finally:
        con.close()


def test_the_export_round_trips_the_store(site):
    paths, manifest = site["paths"], site["first"].manifest
    tables = manifest["tables"]
    assert {name: tables[name]["rows"] for name in STORE_TABLES} == _store_counts(paths)
    reader = connect_read_only(paths)
    try:
        reviewed = reader.execute("SELECT count(*) FROM reviewed_findings").fetchone()[0]
        months = dict(reader.execute("SELECT strftime(service_date, '%Y-%m'), count(*) FROM store.main.claims GROUP BY 1").fetchall())
        read_back = reader.execute(
            "SELECT count(*) FROM (SELECT * EXCLUDE (service_month) FROM read_parquet(?, hive_partitioning = true) "
            "EXCEPT ALL SELECT * FROM store.main.claims)", [str(site["first"].folder / "claims" / "*" / "*.parquet")]).fetchone()[0]
    finally:
        reader.close()
    assert reviewed > 0 and tables["reviewed_findings"]["rows"] == reviewed  # the overlay's final findings travel
    assert tables["claims"]["partitions"] == months and read_back == 0
    assert sorted(p.name for p in site["first"].folder.iterdir()) == sorted([*CLAIM_TABLES, *REFERENCE_TABLES, "manifest.json"])
    assert manifest["store"]["ingest_runs"] == 1 and manifest["grouper"]["versions"]
    assert manifest["code_sets"]["icd10cm"]["codes"] == tables["icd10cm"]["rows"]
    assert ["claim_key", "string"] in tables["claims"]["schema"] and ["billed_amount", "decimal128(14, 2)"] in tables["claims"]["schema"]


def test_a_second_export_is_identical_but_for_its_time(site):
    first, second = site["first"].folder, site["second"].folder
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    different = [f for f in files if (first / f).read_bytes() != (second / f).read_bytes()]
    assert different == [Path("manifest.json")]
    one, two = read_manifest(first), read_manifest(second)
    assert two.pop("exported_at") == "2030-01-01T00:00:00Z" and one.pop("exported_at") != "2030-01-01T00:00:00Z"
    assert one == two
    assert not any(pq.ParquetFile(p).metadata.metadata for p in first.rglob("*.parquet"))  # no key-value metadata at all


def test_a_scoped_export_holds_its_months_and_records_its_event(site):
    scoped = site["scoped"].manifest
    assert scoped["scope"] == {"from": "2025-06-01", "to": "2025-09-30"}
    assert sorted(scoped["tables"]["claims"]["partitions"]) == ["2025-06", "2025-07", "2025-08", "2025-09"]
    assert scoped["tables"]["claims"]["partitions"] == {m: n for m, n in site["first"].manifest["tables"]["claims"]["partitions"].items()
                                                        if "2025-06" <= m <= "2025-09"}
    assert scoped["tables"]["icd10cm"]["rows"] == site["first"].manifest["tables"]["icd10cm"]["rows"]  # reference tables whole
    events = site["events"]
    assert [(e.action, e.resource) for e in events] == [("export", "parquet:export")] * 3
    assert events[2].details["scope"] == scoped["scope"]
    assert events[2].details["tables"] == {name: t["rows"] for name, t in scoped["tables"].items()}
    assert resource(events[2].resource) == "Parquet export"  # as the access-log page names it


def test_the_phi_scan_finds_nothing_in_the_export(site):
    phi = _phi_values(site["raw"])
    needles = {v.encode() for f in ("claim_id", "patient_mrn", "patient_name") for v in phi[f]}
    exact = {v for f in ("patient_dob", "patient_zip") for v in phi[f]} | {v.decode() for v in needles}
    files = [p for p in site["first"].folder.rglob("*") if p.is_file()]
    assert len(files) > 50 and needles
    for path in files:
        assert not _tokens(path.read_bytes()) & needles, f"{path.name} contains PHI"
    for path in (p for p in files if p.suffix == ".parquet"):  # and every value, decompressed
        table = pq.read_table(path)
        for column in table.column_names:
            if table.schema.field(column).type == "string":
                values = {v for v in table.column(column).to_pylist() if v}
                assert not values & exact, f"{path.parent.name}.{column} holds a PHI value"
                assert not _tokens("\n".join(values).encode()) & needles, f"{path.parent.name}.{column} contains PHI"


def test_the_export_command_reports_what_it_wrote_and_logs_it_first(site):
    env = {"CODEAUDIT_DATA_DIR": str(site["paths"].data_dir), "CODEAUDIT_KEY_DIR": str(site["paths"].key_dir)}
    target = site["root"] / "by-command"
    run = manage_here("export-parquet", str(target), "--from", "2026-01-01", **env)
    assert run.returncode == 0, run.stderr
    manifest = read_manifest(target)
    rows = sum(t["rows"] for t in manifest["tables"].values())
    assert run.stdout.startswith(f"Exported {rows:,} rows in {len(manifest['tables'])} tables") and run.stdout.count("\n") == 1
    (event,) = read_events(site["paths"], action="export", limit=1)
    assert (event["resource"], event["user"].startswith("cli:")) == ("parquet:export", True)
    assert event["details"]["scope"] == {"from": "2026-01-01", "to": None} and event["details"]["folder"] == str(target)
    assert not (site["root"] / ".by-command.writing").exists()
    assert manage_here("export-parquet", str(site["root"] / "bad"), "--from", "2026-02-01", "--to", "2026-01-01", **env).returncode == 2


def test_the_export_refuses_a_folder_that_holds_anything(site):
    with pytest.raises(ExportError, match="not an empty folder"):
        export_parquet(site["paths"], site["first"].folder, recorder=Recorded(), user="cli:test", role="cli")
    run = manage_here("export-parquet", str(site["first"].folder), "--data-dir", str(site["paths"].data_dir),
                      CODEAUDIT_KEY_DIR=str(site["paths"].key_dir))
    assert run.returncode == 2 and run.stdout == "" and run.stderr.count("\n") == 1


def test_metrics_on_spark_without_pyspark_says_how_to_install_it(site, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    run = manage_here("metrics", "--engine", "spark", "--parquet", str(site["first"].folder), "--data-dir", str(site["paths"].data_dir),
                      CODEAUDIT_KEY_DIR=str(site["paths"].key_dir))
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr.count("\n") == 1 and "pip install -r requirements-spark.txt" in run.stderr
    alone = manage_here("metrics", "--parquet", str(site["first"].folder), "--data-dir", str(site["paths"].data_dir),
                        CODEAUDIT_KEY_DIR=str(site["paths"].key_dir))
    assert (alone.returncode, alone.stdout) == (2, "") and "--parquet is read by --engine spark only" in alone.stderr


@pytest.mark.parametrize("report", [["--errors-by", "payer"], ["--percentiles", "coder"]])
def test_reports_spark_does_not_run_are_refused_with_spark_rather_than_run_on_duckdb(site, report):
    run = manage_here("metrics", *report, "--engine", "spark", "--parquet", str(site["first"].folder), "--data-dir",
                      str(site["paths"].data_dir), CODEAUDIT_KEY_DIR=str(site["paths"].key_dir))
    assert (run.returncode, run.stdout) == (2, "") and run.stderr.count("\n") == 1 and "--engine spark" in run.stderr


def test_the_duckdb_path_never_imports_pyspark():
    code = ("import sys, cli, cli.store, queries.metrics, queries.parquet_export; "
            "sys.exit(any(m.split('.')[0] in ('pyspark', 'py4j', 'sqlglot') for m in sys.modules))")
    assert os.system(f'{sys.executable} -c "{code}"') == 0


# --- Spark ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def spark_store(site):
    try:
        from queries.spark.engine import SparkStore, start_session
    except ImportError:
        message = "pyspark is not installed (pip install -r requirements-spark.txt)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{message}. Under CI=true the Spark tests must run, not skip.", pytrace=False)
        pytest.skip(message)
    spark, scratch = start_session("local[2]", site["root"] / "spark")
    store = SparkStore(spark, site["first"].folder, scratch=scratch)
    yield store
    store.close()
    spark.stop()


def _assert_same(spark_rows: list[dict[str, Any]], duck_rows: list[dict[str, Any]]) -> None:
    assert len(spark_rows) == len(duck_rows) and spark_rows
    for ours, theirs in zip(spark_rows, duck_rows, strict=True):
        assert list(ours) == list(theirs)
        for key, value in theirs.items():
            if isinstance(value, float) and not isinstance(ours[key], (bool, str)) and ours[key] is not None:
                assert ours[key] == pytest.approx(value, rel=0, abs=1e-12), key
            else:
                assert (ours[key], type(ours[key])) == (value, type(value)), key


SCOPES = [Filters(), Filters(date_from=date(2025, 3, 1), date_to=date(2025, 12, 31), payer=("Medicare", "Medicaid", "Self-pay"),
                             facility=("FAC-EAST", "FAC-CLINIC", "FAC-NORTH"), encounter_type=("inpatient", "outpatient"))]


def test_every_metric_on_spark_equals_duckdb(site, spark_store):
    duck = connect_read_only(site["paths"])
    try:
        for filters in SCOPES:
            for by in (None, *DIMENSIONS):
                _assert_same(report_rows(spark_store, filters, by), report_rows(duck, filters, by))
        overall = report_rows(duck, Filters(), None)[0]
        assert overall["claims"] == site["first"].manifest["tables"]["claims"]["rows"] and overall["audited_claims"] > 0
        for by in (None, "coder"):
            _assert_same(report_rows(spark_store, SCOPES[1], by, suppress_small_cells=True),
                         report_rows(duck, SCOPES[1], by, suppress_small_cells=True))
        ours, theirs = error_pareto(spark_store, Filters()), error_pareto(duck, Filters())
        _assert_same(json.loads(ours.to_json(orient="records")), json.loads(theirs.to_json(orient="records")))
    finally:
        duck.close()


def test_metrics_command_on_spark_prints_the_same_json_and_records_its_event(site, spark_store):
    env = {"CODEAUDIT_DATA_DIR": str(site["paths"].data_dir), "CODEAUDIT_KEY_DIR": str(site["paths"].key_dir)}
    scope = ("--by", "payer", "--from", "2025-01-01", "--coder", "C001", "--coder", "C002", "--coder", "C003", "--json")
    on_spark = manage_here("metrics", "--engine", "spark", "--parquet", str(site["first"].folder), *scope, **env)
    on_duckdb = manage_here("metrics", *scope, **env)
    assert (on_spark.returncode, on_duckdb.returncode) == (0, 0), on_spark.stderr
    _assert_same(json.loads(on_spark.stdout), json.loads(on_duckdb.stdout))
    assert any(row["small_cells_suppressed"] for row in json.loads(on_spark.stdout))
    duck_event, spark_event = read_events(site["paths"], action="export", limit=2)  # newest first
    assert spark_event["resource"] == duck_event["resource"] == "cli:metrics"
    assert spark_event["details"]["engine"] == "spark" and spark_event["details"]["parquet"] == str(site["first"].folder)
    assert spark_event["details"]["export"]["exported_at"] == site["first"].manifest["exported_at"]
    assert {k: v for k, v in spark_event["details"].items() if k not in ("engine", "spark_master", "parquet", "export")} \
        == duck_event["details"]
