"""The summary read from the per-month totals written at ingest (queries/sql/totals/) for the whole months of a
scope, plus a scan of the days of the months it covers in part, is the summary the scan of every claim gives:
the same frame (columns, order, dtypes; counts exactly, money to the cent, rates to 1e-12), on a demo store
whose reader combines final reviewed findings with the store's, in every scope a page can ask for, whole
months or not. And the totals are really read, the edge days really scanned (a dropped or doubled edge is
caught), and a store written before the totals is scanned.
"""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from unittest import mock

import duckdb
import pandas as pd
import pytest

from config.paths import Paths
from data.demo import build_demo
from queries import metrics, periods, reviewed
from queries.metrics import DIMENSIONS, Filters, months_back, summary
from queries.store import connect_read_only
from tests.built_once import built_once
from tests.conftest import Recorded

FAR_FUTURE = datetime.now(UTC) + timedelta(days=400)  # every published finding is final by then


@dataclass(frozen=True)
class Demo:
    paths: Paths
    con: duckdb.DuckDBPyConnection
    reviewed_months: list[date]   # the service months of the reviewed claims, first of each
    first_month: date
    last_month: date
    scopes: dict[str, Filters]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo store with its reviewed sample (data/demo_review.py), built once for the run; read as a session
    reads it, every published finding final."""
    def build(root: Path) -> None:
        paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
        with pytest.MonkeyPatch.context() as env:
            for var in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY"):
                env.delenv(var, raising=False)
            build_demo(paths, n_claims=3000, recorder=Recorded())

    root = built_once(tmp_path_factory, "demo-with-reviews-3000", build)
    paths = Paths(data_dir=root / "data", key_dir=root / "keys")
    con = connect_read_only(paths)
    reviewed.load(con, paths, FAR_FUTURE)
    months = sorted({m for (m,) in con.execute("SELECT service_month FROM reviewed_claim_rows").fetchall()})
    first, last = con.execute("SELECT min(service_month), max(service_month) FROM claim_facts").fetchone()
    yield Demo(paths, con, months, first, last, scopes(con, months, last))
    con.close()


def month_end(first: date) -> date:
    return months_back(first, -1) - timedelta(days=1)


def scopes(con: duckdb.DuckDBPyConnection, reviewed_months: list[date], last_month: date) -> dict[str, Filters]:
    """Whole-month scopes and scopes with edges (months covered in part), each holding reviewed claims where it can."""
    reviewed_month = reviewed_months[0]
    typed = Filters(date_from=months_back(reviewed_month, 2) + timedelta(days=11), date_to=reviewed_month + timedelta(days=17))
    year_end = date(last_month.year - 1, 12, 31)
    around = Filters(date_from=months_back(reviewed_month, 2), date_to=month_end(months_back(reviewed_month, -1)))
    last_12_from, last_12_to = periods.preset(periods.LAST_12_MONTHS, month_end(last_month), 1)
    last_12 = Filters(date_from=last_12_from, date_to=last_12_to)
    values = {column: con.execute(f"SELECT {column} FROM claim_facts GROUP BY ALL ORDER BY count(*) DESC").fetchall()
              for column in ("facility_id", "payer", "coder_id", "encounter_type")}
    top = {column: tuple(v for (v,) in rows[:2]) for column, rows in values.items()}
    return {
        "everything": Filters(),
        "whole months around a reviewed claim": around,
        "one whole month": Filters(date_from=reviewed_month, date_to=month_end(reviewed_month)),
        "open start": Filters(date_to=month_end(reviewed_month)),
        "open end": Filters(date_from=reviewed_month),
        "last 12 complete months": last_12,
        "a year earlier (the named period's comparison)": periods.comparison(periods.LAST_12_MONTHS, last_12),
        "two facilities": replace(around, facility=top["facility_id"]),
        "two payers": replace(last_12, payer=top["payer"]),
        "two coders": replace(last_12, coder=top["coder_id"]),
        "one encounter type": replace(last_12, encounter_type=top["encounter_type"][:1]),
        "every filter": replace(last_12, facility=top["facility_id"], payer=top["payer"], coder=top["coder_id"],
                                encounter_type=top["encounter_type"]),
        "single CC/MCC": Filters(claim_flags=("single_cc_mcc",)),
        "MCE edit, whole months": replace(last_12, claim_flags=("mce_edit",)),
        "DRG mismatch and MCE edit": Filters(claim_flags=("drg_mismatch", "mce_edit")),
        "no claims: months before the data": Filters(date_from=date(2001, 1, 1), date_to=date(2001, 3, 31)),
        "no claims: an unknown coder": replace(last_12, coder=("NO-SUCH-CODER",)),
        # with edges: the days of months covered in part are scanned
        "partial first month": replace(around, date_from=around.date_from + timedelta(days=3)),
        "partial last month": replace(around, date_to=around.date_to - timedelta(days=1)),
        "both ends mid-month": typed,
        "previous period (of equal length)": around.previous_period(),
        "previous period of a typed range": typed.previous_period(),
        "one day": Filters(date_from=reviewed_month + timedelta(days=9), date_to=reviewed_month + timedelta(days=9)),
        "inside one month": Filters(date_from=reviewed_month + timedelta(days=4), date_to=reviewed_month + timedelta(days=20)),
        "from a month's 1st to mid-month": Filters(date_from=reviewed_month, date_to=reviewed_month + timedelta(days=14)),
        "mid-month to the month's end": Filters(date_from=reviewed_month + timedelta(days=14), date_to=month_end(reviewed_month)),
        "two adjacent part months": Filters(date_from=reviewed_month + timedelta(days=14),
                                            date_to=months_back(reviewed_month, -1) + timedelta(days=9)),
        "spanning a year boundary": Filters(date_from=date(year_end.year, 11, 20), date_to=date(year_end.year + 1, 2, 10)),
        "open start, mid-month end": Filters(date_to=reviewed_month + timedelta(days=9)),
        "open end, mid-month start": Filters(date_from=reviewed_month + timedelta(days=9)),
        "every filter, both ends mid-month": replace(typed, facility=top["facility_id"], payer=top["payer"],
                                                     coder=top["coder_id"], encounter_type=top["encounter_type"]),
        "MCE edit, both ends mid-month": replace(typed, claim_flags=("mce_edit",)),
    }


SCOPE_NAMES = [
    "everything", "whole months around a reviewed claim", "one whole month", "open start", "open end",
    "last 12 complete months", "a year earlier (the named period's comparison)", "two facilities", "two payers",
    "two coders", "one encounter type", "every filter", "single CC/MCC", "MCE edit, whole months",
    "DRG mismatch and MCE edit", "no claims: months before the data", "no claims: an unknown coder",
    "partial first month", "partial last month", "both ends mid-month", "previous period (of equal length)",
    "previous period of a typed range", "one day", "inside one month", "from a month's 1st to mid-month",
    "mid-month to the month's end", "two adjacent part months", "spanning a year boundary",
    "open start, mid-month end", "open end, mid-month start", "every filter, both ends mid-month",
    "MCE edit, both ends mid-month",
]
WITH_EDGES = SCOPE_NAMES[SCOPE_NAMES.index("partial first month"):]


def scanned(con: duckdb.DuckDBPyConnection, filters: Filters, by: str | None) -> pd.DataFrame:
    with mock.patch.object(metrics, "from_totals", return_value=False):
        return summary(con, filters, by)


def assert_identical(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(actual.columns) == list(expected.columns)
    assert actual.dtypes.to_dict() == expected.dtypes.to_dict()
    whole = [c for c in actual.columns if pd.api.types.is_integer_dtype(actual[c]) or actual[c].dtype == object]
    assert actual[whole].equals(expected[whole])   # counts and group keys exactly
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-12, atol=0)


def test_the_demo_has_reviewed_claims_the_totals_must_be_corrected_for(demo):
    """Else every comparison below would pass without the correction."""
    combined, original = demo.con.execute(
        "SELECT sum(r.findings), sum(o.findings) FROM reviewed_claim_rows AS r JOIN reviewed_claim_originals AS o USING (fact_row)"
    ).fetchone()
    assert len(demo.reviewed_months) > 0 and combined > original
    assert set(demo.scopes) == set(SCOPE_NAMES)


@pytest.mark.parametrize("scope", SCOPE_NAMES)
@pytest.mark.parametrize("by", [None, *DIMENSIONS])
def test_the_summary_from_the_totals_is_the_scan(demo, scope, by):
    filters = demo.scopes[scope]
    assert metrics.from_totals(demo.con)
    assert_identical(summary(demo.con, filters, by), scanned(demo.con, filters, by))


@pytest.mark.parametrize("scope", ["whole months around a reviewed claim", "last 12 complete months", "everything",
                                   "both ends mid-month", "inside one month", "open end, mid-month start"])
def test_every_scope_is_answered_from_the_totals(demo, scope):
    """The summary's SQL file is totals/summary.sql, not the scan (metrics/summary.sql), edges or not."""
    with mock.patch.object(metrics, "sql", wraps=metrics.sql) as read:
        summary(demo.con, demo.scopes[scope], "month")
    assert [c.args[0] for c in read.call_args_list if c.args[0].endswith("summary")] == ["totals/summary"]


def dropped_head(split: dict) -> dict:
    return {**split, "head_from": None, "head_to": None}


def dropped_tail(split: dict) -> dict:
    return {**split, "tail_from": None, "tail_to": None}


def head_twice(split: dict) -> dict:
    """The head edge again in the tail's place (a scope inside one month has no tail)."""
    return {**split, "tail_from": split["head_from"], "tail_to": split["head_to"]}


def head_month_whole_too(split: dict) -> dict:
    """The head edge's month summed from the totals as well as scanned."""
    return {**split, "months_from": metrics.months_back(split["head_from"], 0)}


@pytest.mark.parametrize(("scope", "mistake"), [
    ("both ends mid-month", dropped_head), ("both ends mid-month", dropped_tail),
    ("inside one month", head_twice), ("both ends mid-month", head_month_whole_too),
    ("open end, mid-month start", dropped_head), ("open start, mid-month end", dropped_tail),
])
def test_a_dropped_or_doubled_edge_is_caught(demo, scope, mistake):
    """The comparison above is sharp: with an edge left out or counted twice, the claims differ from the scan's."""
    filters = demo.scopes[scope]
    right = metrics.totals_split(filters)
    with mock.patch.object(metrics, "totals_split", side_effect=lambda f: mistake(right)):
        wrong = summary(demo.con, filters, "month")
    expected = scanned(demo.con, filters, "month")
    assert summary(demo.con, filters, "month").claims.tolist() == expected.claims.tolist()
    assert wrong.claims.sum() != expected.claims.sum()


@pytest.fixture
def copied(demo: Demo, tmp_path: Path) -> Paths:
    """A copy of the demo store alone (no reviews), for tests that change it."""
    paths = Paths(data_dir=tmp_path / "data", key_dir=demo.paths.key_dir)
    paths.data_dir.mkdir()
    shutil.copyfile(demo.paths.store, paths.store)
    return paths


def test_the_totals_are_what_is_read_and_a_store_without_them_is_scanned(copied):
    whole = Filters(date_from=date(2000, 1, 1))
    reader = connect_read_only(copied)
    before = summary(reader, whole)
    (month,) = reader.execute("SELECT service_month FROM claim_month_totals WHERE rowid = 0").fetchone()
    from_mid_month = Filters(date_from=month + timedelta(days=1))
    claims_from_mid_month = summary(reader, from_mid_month).claims.tolist()
    reader.close()
    with duckdb.connect(str(copied.store)) as con:  # one claim more in the totals than in claim_facts
        con.execute("UPDATE claim_month_totals SET claims = claims + 1 WHERE rowid = 0")
    reader = connect_read_only(copied)
    assert summary(reader, whole).claims.tolist() == [before.claims.iloc[0] + 1]   # read from the totals
    assert summary(reader, from_mid_month).claims.tolist() == claims_from_mid_month  # that month's days scanned
    reader.close()
    with duckdb.connect(str(copied.store)) as con:  # a store written before the totals
        con.execute("DROP TABLE claim_month_totals")
    reader = connect_read_only(copied)
    assert not metrics.from_totals(reader)
    assert_identical(summary(reader, whole), before)
    reader.close()
