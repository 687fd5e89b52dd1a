"""Peer percentiles (queries/peers.py): every count recomputed from the detail tables, every percentile against
scipy.stats.percentileofscore, the volume threshold, the flags at exactly the 80th and 20th percentile, and
`manage.py metrics --percentiles` as a logged export with small cells suppressed."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy.stats import percentileofscore

from audit.log.read import read_events
from config.paths import Paths
from data.demo import build_demo
from queries import peers
from queries.metrics import Filters, MetricsError
from queries.store import connect_read_only
from tests.cli_here import manage_here
from tests.conftest import Recorded
from tests.queries.test_claim_facts import denial_rows, dx_rows, read_detail

DEMO_DAY = date(2026, 10, 31)
MIN_VOLUME = 30
# measure -> (numerator, denominator), written from docs/METRICS.md, not from peers.MEASURES.
COUNTS = {
    "code_error_rate": ("code_errors", "findings"),
    "unspecified_rate": ("unspecified_dx", "dx_codes"),
    "single_cc_mcc_share": ("single_cc_mcc_claims", "cc_mcc_claims"),
    "drg_mismatch_rate": ("drg_mismatches", "billed_drg_claims"),
    "coding_denial_rate": ("coding_denied_claims", "claims"),
}
LOW_FLAGGED = {"single_cc_mcc_share"}


def expected_percentile(rate: float, others: list[float]) -> float:
    """The documented definition, computed by scipy: the share of the other ranked peers below, a tie counting half."""
    return float(percentileofscore(others, rate, kind="mean")) if others else float("nan")


# ---------------------------------------------------------------------------------------------------------
# Ranking and flags on counts made by hand


def counts_frame(rows: dict[str, tuple[int, int]], measure: str = "code_error_rate") -> pd.DataFrame:
    """peer_counts.sql rows in which `measure` has the given (numerator, denominator) per peer; every other measure
    counts nothing."""
    columns = {column for pair in COUNTS.values() for column in pair}
    numerator, denominator = COUNTS[measure]
    frame = pd.DataFrame({"peer": list(rows)} | {column: 0 for column in columns})
    frame[numerator] = [n for n, _ in rows.values()]
    frame[denominator] = [d for _, d in rows.values()]
    return frame


@pytest.mark.parametrize("size", [2, 3, 7, 10, 57])
def test_percentiles_equal_scipys_mean_kind_over_the_other_peers_ties_included(size):
    rng = np.random.default_rng(size)
    rates = pd.Series(rng.integers(0, 5, size) / 4)  # few distinct values: many ties
    got = peers.percentile_ranks(rates)
    for i, rate in enumerate(rates):
        others = rates.drop(index=i).tolist()
        assert got[i] == pytest.approx(expected_percentile(rate, others), abs=1e-12)
    assert peers.percentile_ranks(pd.Series([0.3])).isna().all()


def test_a_tie_counts_half_and_the_ends_are_0_and_100():
    # Rates 0.1, 0.2, 0.2, 0.5: the 0.2s have one other below and one other equal of three others.
    got = peers.percentile_ranks(pd.Series([0.1, 0.2, 0.2, 0.5])).tolist()
    assert got == [0.0, 100 * 1.5 / 3, 100 * 1.5 / 3, 100.0]


def test_flags_at_exactly_the_80th_and_the_20th_percentile():
    # Six peers with distinct rates: others below 0..5 of 5, so percentiles 0, 20, 40, 60, 80, 100 exactly.
    rows = {f"P{i}": (i + 1, 40) for i in range(6)}
    for measure in COUNTS:
        ranked = peers.rank(counts_frame(rows, measure), MIN_VOLUME)
        ranked = ranked[ranked["measure"] == measure].set_index("peer")
        assert ranked["percentile"].tolist() == [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        low = "low" if measure in LOW_FLAGGED else "within"
        assert ranked["flag"].tolist() == [low, low, "within", "within", "high", "high"], measure
        assert (ranked["ranked_peers"] == 6).all()


def test_a_peer_under_the_volume_threshold_is_labelled_and_left_out_of_the_others_ranking():
    rows = {"A": (2, 40), "B": (4, 40), "C": (6, 40), "SMALL": (29, 29), "EDGE": (3, MIN_VOLUME)}
    ranked = peers.rank(counts_frame(rows), MIN_VOLUME)
    ranked = ranked[ranked["measure"] == "code_error_rate"].set_index("peer")
    assert ranked.at["SMALL", "flag"] == "low_volume" and np.isnan(ranked.at["SMALL", "percentile"])
    assert ranked.at["SMALL", "rate"] == 1.0 and ranked.at["SMALL", "denominator"] == 29  # shown, not ranked
    assert ranked.at["EDGE", "flag"] != "low_volume"  # exactly at the threshold: ranked
    # SMALL's 100% would rank above everyone; left out, C is the highest of A, B, C and EDGE (rates .05 .1 .15 .1).
    assert ranked.loc[["A", "B", "C", "EDGE"], "percentile"].tolist() == [0.0, 50.0, 100.0, 50.0]
    assert (ranked["ranked_peers"] == 4).all()
    alone = peers.rank(counts_frame({"ONLY": (5, 50), "TINY": (1, 3)}), MIN_VOLUME)
    alone = alone[alone["measure"] == "code_error_rate"].set_index("peer")["flag"]
    assert alone.to_dict() == {"ONLY": "no_peers", "TINY": "low_volume"}


def test_flagged_peers_most_flags_first():
    frame = pd.DataFrame({"peer": ["A", "A", "B", "C"], "measure": ["code_error_rate", "unspecified_rate"] * 2,
                          "percentile": [90.0, 85.0, 99.0, 10.0], "flag": ["high", "high", "high", "within"]})
    flagged = peers.flagged_peers(frame)
    assert flagged["peer"].tolist() == ["A", "B"] and flagged["flags"].tolist() == [2, 1]
    assert flagged.at[0, "measures"] == "Code error rate, Unspecified code rate"


# ---------------------------------------------------------------------------------------------------------
# On a demo store: every count from the detail tables


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    root = tmp_path_factory.mktemp("peers")
    paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
    with pytest.MonkeyPatch.context() as env:
        for var in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY"):
            env.delenv(var, raising=False)
        build_demo(paths, n_claims=3000, recorder=Recorded(), today=DEMO_DAY)
    return paths


@pytest.fixture(scope="module")
def con(demo):
    connection = connect_read_only(demo)
    yield connection
    connection.close()


def per_claim(con) -> pd.DataFrame:
    """One row per claim with the numerator and denominator of every peer measure, from the detail tables:
    claims, claim_codes with icd10cm, audit_findings (the reader's, reviewed findings included), denials with carc,
    and the grouper's claim_drg and claim_drg_cc (which secondary diagnoses are CC/MCC, which moved the DRG)."""
    detail = read_detail(con)
    claims = detail.claims.merge(con.execute("SELECT claim_key, ms_drg FROM claims").df(), on="claim_key")
    dx = dx_rows(detail).groupby("claim_key").agg(dx_codes=("code", "size"), unspecified_dx=("is_unspecified", "sum"))
    code_level = detail.findings[detail.findings.code_type != "MSDRG"]
    fx = code_level.assign(error=code_level.finding != "agree").groupby("claim_key").agg(
        findings=("finding", "size"), code_errors=("error", "sum"))
    den = denial_rows(detail)
    coding = den[den.is_denial & den.is_coding].groupby("claim_key").size().rename("coding_denials")
    cc = con.execute("SELECT claim_key, affects_final_drg FROM claim_drg_cc").df().groupby("claim_key").agg(
        sdx=("affects_final_drg", "size"), affecting=("affects_final_drg", "sum"))
    grouped = con.execute("SELECT claim_key, grouped_drg FROM claim_drg").df()
    out = (claims.merge(dx, on="claim_key", how="left").merge(fx, on="claim_key", how="left")
           .merge(coding, on="claim_key", how="left").merge(cc, on="claim_key", how="left")
           .merge(grouped, on="claim_key", how="left"))
    inpatient = out.encounter_type == "inpatient"
    rests = inpatient & out.affecting.fillna(0).gt(0)
    return out.assign(
        dx_codes=out.dx_codes.fillna(0), unspecified_dx=out.unspecified_dx.fillna(0), findings=out.findings.fillna(0),
        code_errors=out.code_errors.fillna(0), claims=1, coding_denied_claims=out.coding_denials.fillna(0).gt(0),
        cc_mcc_claims=rests, single_cc_mcc_claims=rests & out.sdx.eq(1),
        billed_drg_claims=inpatient & out.ms_drg.notna(),
        drg_mismatches=inpatient & out.ms_drg.notna() & out.grouped_drg.notna() & out.ms_drg.ne(out.grouped_drg),
    )


def recomputed(facts: pd.DataFrame, key: str, shown: tuple[str, ...] = ()) -> pd.DataFrame:
    """The peer rows as docs/METRICS.md defines them, ranked with scipy."""
    sums = facts.groupby(key)[[c for pair in COUNTS.values() for c in pair]].sum().astype("int64")
    rows = []
    for measure, (numerator, denominator) in COUNTS.items():
        rates = (sums[numerator] / sums[denominator].where(sums[denominator] > 0)).astype(float)
        ranked = sums[denominator] >= MIN_VOLUME
        for peer in sums.index:
            others = [r for p, r in rates[ranked].items() if p != peer]
            pct = expected_percentile(rates[peer], others) if ranked[peer] else float("nan")
            rows.append({"peer": peer, "measure": measure, "numerator": sums.at[peer, numerator],
                         "denominator": sums.at[peer, denominator], "rate": rates[peer], "percentile": pct})
    frame = pd.DataFrame(rows)
    return frame[frame.peer.isin(shown)] if shown else frame


SCOPES = {
    "all": Filters(),
    "spring_two_payers": Filters(date_from=date(2025, 3, 1), date_to=date(2026, 3, 31), payer=("Medicare", "Medicaid")),
    "inpatient_north": Filters(facility=("FAC-NORTH", "FAC-EAST"), encounter_type=("inpatient",)),
}


def scoped(facts: pd.DataFrame, f: Filters) -> pd.DataFrame:
    keep = pd.Series(True, index=facts.index)
    if f.date_from:
        keep &= facts.service_date >= pd.Timestamp(f.date_from)
    if f.date_to:
        keep &= facts.service_date <= pd.Timestamp(f.date_to)
    for field, column in (("payer", "payer"), ("facility", "facility_id"), ("encounter_type", "encounter_type")):
        if getattr(f, field):
            keep &= facts[column].isin(getattr(f, field))
    return facts[keep]


@pytest.mark.parametrize("peer", ["coder", "facility"])
@pytest.mark.parametrize("scope", list(SCOPES), ids=list(SCOPES))
def test_every_count_rate_and_percentile_equals_a_recomputation_from_the_detail_tables(con, peer, scope):
    field = peers.PEERS[peer]  # a filter on the peers picks rows; they are ranked among every peer of the scope
    facts = scoped(per_claim(con), replace(SCOPES[scope], **{field: ()}))
    want = recomputed(facts, peers.PEER_KEYS[peer], getattr(SCOPES[scope], field))
    want = want.sort_values(["measure", "peer"]).reset_index(drop=True)
    got = peers.percentiles(con, SCOPES[scope], peer, MIN_VOLUME).sort_values(["measure", "peer"]).reset_index(drop=True)
    assert got[["peer", "measure"]].equals(want[["peer", "measure"]])
    assert got["numerator"].tolist() == want["numerator"].tolist()
    assert got["denominator"].tolist() == want["denominator"].tolist()
    np.testing.assert_allclose(got["rate"], want["rate"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["percentile"], want["percentile"], rtol=0, atol=1e-9)
    assert (got["flag"] == "low_volume").tolist() == (want["denominator"] < MIN_VOLUME).tolist()
    assert got["numerator"].sum() > 0


def test_a_coder_filter_chooses_whose_rows_come_back_not_whom_they_are_ranked_among(con):
    everyone = peers.percentiles(con, Filters(), "coder", MIN_VOLUME)
    picked = peers.percentiles(con, Filters(coder=("C007", "C023")), "coder", MIN_VOLUME)
    assert set(picked["peer"]) == {"C007", "C023"}
    pd.testing.assert_frame_equal(picked.reset_index(drop=True),
                                  everyone[everyone["peer"].isin(["C007", "C023"])].reset_index(drop=True))


def test_bad_requests_are_refused_in_a_sentence(con):
    with pytest.raises(MetricsError, match="choose one of coder, facility"):
        peers.percentiles(con, Filters(), "payer", MIN_VOLUME)
    with pytest.raises(MetricsError, match="clear the flags"):
        peers.percentiles(con, Filters(claim_flags=("single_cc_mcc",)), "coder", MIN_VOLUME)
    assert peers.percentiles(con, Filters(date_from=date(1990, 1, 1), date_to=date(1990, 1, 2)), "coder", MIN_VOLUME).empty


def test_the_weak_demo_coders_stand_out_on_code_errors(con):
    errors = peers.percentiles(con, Filters(), "coder", MIN_VOLUME).query("measure == 'code_error_rate'").set_index("peer")
    weak = errors.loc[["C007", "C023", "C041"]]
    assert (weak["flag"].isin(["high", "low_volume"])).all() and (weak["flag"] == "high").any()


# ---------------------------------------------------------------------------------------------------------
# manage.py metrics --percentiles


def test_cli_prints_every_row_and_records_the_export_first(demo, con):
    env = {"CODEAUDIT_DATA_DIR": str(demo.data_dir), "CODEAUDIT_KEY_DIR": str(demo.key_dir)}
    run = manage_here("metrics", "--percentiles", "facility", "--json", "--include-small-cells", "--from", "2025-01-01", **env)
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    want = peers.percentiles(con, Filters(date_from=date(2025, 1, 1)), "facility", MIN_VOLUME)
    assert [list(r) for r in rows[:1]] == [list(peers.REPORT_FIELDS)]
    assert [(r["peer"], r["measure"], r["numerator"], r["flag"]) for r in rows] == list(
        zip(want["peer"], want["measure"], want["numerator"], want["flag"], strict=True))
    event = read_events(demo, action="export", limit=1)[0]
    assert event["resource"] == "cli:metrics" and event["details"]["percentiles"] == "facility"
    assert event["details"]["min_volume"] == MIN_VOLUME and event["details"]["small_cells"] == "included"
    assert event["details"]["rows"] == len(rows) and event["details"]["filters"] == {"date_from": "2025-01-01"}

    csv_run = manage_here("metrics", "--percentiles", "coder", "--format", "csv", **env,
                          CODEAUDIT_PEER_MIN_VOLUME="40")
    table = list(csv.DictReader(io.StringIO(csv_run.stdout)))
    assert list(table[0]) == [*peers.REPORT_FIELDS, "small_cells_suppressed"]
    full = peers.percentiles(con, Filters(), "coder", 40).set_index(["peer", "measure"])
    for row in table:
        truth = full.loc[(row["peer"], row["measure"])]
        small = 1 <= truth["numerator"] <= 10 or 1 <= truth["denominator"] <= 10
        assert row["flag"] == truth["flag"]  # a label: kept even where the numbers are blanked
        if small:
            assert row["small_cells_suppressed"] == "True" and row["numerator"] == row["rate"] == row["percentile"] == ""
        elif row["small_cells_suppressed"] == "False":
            assert int(row["denominator"]) == truth["denominator"]
    assert any(r["small_cells_suppressed"] == "True" for r in table)
    assert read_events(demo, action="export", limit=1)[0]["details"]["min_volume"] == 40


def test_cli_refuses_by_and_percentiles_together_and_an_unknown_peer(demo):
    env = {"CODEAUDIT_DATA_DIR": str(demo.data_dir), "CODEAUDIT_KEY_DIR": str(demo.key_dir)}
    both = manage_here("metrics", "--percentiles", "coder", "--by", "month", **env)
    assert both.returncode == 2 and both.stderr.count("\n") == 1 and "not both" in both.stderr and both.stdout == ""
    assert manage_here("metrics", "--percentiles", "payer", **env).returncode == 2
    low = manage_here("metrics", "--percentiles", "coder", **env, CODEAUDIT_PEER_MIN_VOLUME="5")
    assert low.returncode == 2 and "CODEAUDIT_PEER_MIN_VOLUME is '5'" in low.stderr
