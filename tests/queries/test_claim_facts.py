"""claim_facts and the detail facts tables are exact pre-aggregations of the detail tables.

On a generated demo store, every summary metric is recomputed here with pandas straight from
claims, claim_codes, audit_findings, denials, icd10cm and carc (never from claim_facts, dx_facts,
finding_facts or denial_facts), overall, by each dimension and inside filtered scopes, and compared
with queries.metrics.summary: counts equal, rates equal to 1e-12, money to the cent. The same holds
after a second ingest that changes claims, codes, appeal outcomes and adds findings, which shows that
every ingest rebuilds the facts instead of leaving stale counts behind.
"""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from config.paths import Paths
from data.demo import build_demo
from ingest.writer import ingest
from queries.metrics import DIMENSION_KEYS, Filters, appeal_funnel, carc_pareto, error_pareto, specificity_by, summary
from queries.store import connect_read_only
from tests.conftest import Recorded

DENIAL_GROUPS = ("CO", "OA", "PI")
COUNTS = (
    "claims", "audited_claims", "findings", "findings_agree", "drg_findings", "drg_agree", "clean_claims",
    "dx_codes", "unspecified_dx", "invalid_dx", "laterality_unspecified_dx", "denied_claims", "coding_denied_claims",
    "appeals_overturned", "appeals_upheld", "appeals_pending", "appeals_decided", "principal_dx_reviewed", "principal_dx_agree",
)
MONEY = ("denied_amount", "billed_amount", "net_impact", "overpaid", "underpaid")
# rate: (numerator, denominator), written out from docs/METRICS.md's definitions, not read from metrics.RATES,
# so a wrong pair there fails here.
RATES = {
    "code_accuracy": ("findings_agree", "findings"),
    "claim_accuracy": ("clean_claims", "audited_claims"),
    "drg_accuracy": ("drg_agree", "drg_findings"),
    "unspecified_rate": ("unspecified_dx", "dx_codes"),
    "invalid_code_rate": ("invalid_dx", "dx_codes"),
    "laterality_unspecified_rate": ("laterality_unspecified_dx", "dx_codes"),
    "denial_rate": ("denied_claims", "claims"),
    "denied_dollar_rate": ("denied_cents", "billed_cents"),
    "coding_denial_share": ("coding_denied_claims", "denied_claims"),
    "appeal_overturn_rate": ("appeals_overturned", "appeals_decided"),
    "principal_dx_accuracy": ("principal_dx_agree", "principal_dx_reviewed"),
}
SCOPES = {
    "all": Filters(),
    "spring_two_payers": Filters(date_from=date(2025, 3, 1), date_to=date(2025, 9, 30), payer=("Medicare", "Medicaid"),
                                 encounter_type=("inpatient", "outpatient")),
    "facility_coders": Filters(facility=("FAC-NORTH", "FAC-EAST"), coder=("C007", "C015", "C023", "C041", "C999")),
    "one_day": Filters(date_from=date(2025, 10, 1), date_to=date(2025, 10, 1)),
}
STAGES = ("demo", "after_update")


@dataclass(frozen=True)
class Detail:
    """The detail tables as read from the store, money in integer cents."""

    claims: pd.DataFrame
    codes: pd.DataFrame
    findings: pd.DataFrame
    denials: pd.DataFrame
    icd10cm: pd.DataFrame
    carc: pd.DataFrame


@dataclass(frozen=True)
class Stage:
    con: duckdb.DuckDBPyConnection
    detail: Detail
    facts: pd.DataFrame   # one row per claim, computed in this file


def read_detail(con: duckdb.DuckDBPyConnection) -> Detail:
    def df(query: str) -> pd.DataFrame:
        return con.execute(query).df()

    return Detail(
        claims=df("SELECT claim_key, facility_id, payer, coder_id, encounter_type, service_date, "
                  "CAST(billed_amount * 100 AS BIGINT) AS billed_cents FROM claims"),
        codes=df("SELECT claim_key, line, code_type, code FROM claim_codes"),
        findings=df("SELECT claim_key, review_id, code_type, submitted_code, audited_code, finding, error_category, "
                    "CAST(dollar_impact * 100 AS BIGINT) AS impact_cents FROM audit_findings"),
        denials=df("SELECT claim_key, payer, group_code, carc, CAST(denied_amount * 100 AS BIGINT) AS denied_cents, "
                   "appeal_status FROM denials"),
        icd10cm=df("SELECT code, billable, unspecified, laterality_unspecified, chapter FROM icd10cm"),
        carc=df("SELECT code AS carc, coding_related FROM carc"),
    )


def dx_rows(d: Detail) -> pd.DataFrame:
    """Submitted ICD-10-CM rows with their flags: a code missing from the code set is invalid, never unspecified."""
    dx = d.codes[d.codes.code_type == "ICD10CM_DX"].merge(d.icd10cm, on="code", how="left")
    return dx.assign(
        is_unspecified=dx.unspecified.eq(True),
        is_invalid=~dx.billable.eq(True),
        is_lateral=dx.laterality_unspecified.eq(True),
    )


def denial_rows(d: Detail) -> pd.DataFrame:
    """Every remittance adjustment with is_denial: CO, OA or PI with money denied (PR and CR are not)."""
    den = d.denials.merge(d.carc, on="carc", how="left")
    return den.assign(
        is_denial=den.group_code.isin(DENIAL_GROUPS) & (den.denied_cents > 0),
        is_coding=den.coding_related.eq(True),
    )


def claim_level(d: Detail) -> pd.DataFrame:
    """One row per claim with the numerators and denominators of every metric."""
    dx = dx_rows(d)
    per_dx = dx.groupby("claim_key").agg(
        dx_codes=("code", "size"), unspecified_dx=("is_unspecified", "sum"),
        invalid_dx=("is_invalid", "sum"), laterality_unspecified_dx=("is_lateral", "sum"))

    f = d.findings
    drg, agree = f.code_type.eq("MSDRG"), f.finding.eq("agree")
    f = f.assign(code_level=~drg, code_agree=~drg & agree, drg=drg, drg_ok=drg & agree, error=~agree,
                 over=f.impact_cents.where(f.impact_cents < 0, 0), under=f.impact_cents.where(f.impact_cents > 0, 0))
    per_f = f.groupby("claim_key").agg(
        findings=("code_level", "sum"), findings_agree=("code_agree", "sum"), drg_findings=("drg", "sum"),
        drg_agree=("drg_ok", "sum"), errors=("error", "sum"), net_cents=("impact_cents", "sum"),
        over_cents=("over", "sum"), under_cents=("under", "sum"))
    per_f["audited"] = True

    # First-listed diagnosis: findings on the code submitted on ICD10CM_DX line 1.
    line1 = dx.loc[dx.line == 1, ["claim_key", "code"]].rename(columns={"code": "submitted_code"})
    on_line1 = f[f.code_type == "ICD10CM_DX"].merge(line1, on=["claim_key", "submitted_code"])
    # Correct only if every such finding agrees (docs/METRICS.md), as claim accuracy.
    per_p = on_line1.groupby("claim_key").agg(principal_agree=("finding", lambda s: bool((s == "agree").all())))
    per_p["principal_reviewed"] = True

    den = denial_rows(d)
    den = den[den.is_denial]
    per_d = den.assign(
        overturned=den.appeal_status.eq("overturned"), upheld=den.appeal_status.eq("upheld"),
        pending=den.appeal_status.eq("pending"),
    ).groupby("claim_key").agg(
        denied_cents=("denied_cents", "sum"), coding=("is_coding", "any"), appeals_overturned=("overturned", "sum"),
        appeals_upheld=("upheld", "sum"), appeals_pending=("pending", "sum"))
    per_d["denied"] = True

    facts = d.claims.set_index("claim_key").join([per_dx, per_f, per_p, per_d])
    flags = ["audited", "principal_reviewed", "principal_agree", "denied", "coding"]
    facts[flags] = facts[flags].eq(True)   # a claim missing from a join has the flag False
    numbers = [c for c in facts.columns if c not in flags and facts[c].dtype.kind in "fiu" and c != "billed_cents"]
    facts[numbers] = facts[numbers].fillna(0).astype("int64")
    return facts.reset_index()


def in_scope(claims: pd.DataFrame, filters: Filters) -> pd.Series:
    mask = pd.Series(True, index=claims.index)
    dates = claims.service_date.dt.date
    if filters.date_from is not None:
        mask &= dates >= filters.date_from
    if filters.date_to is not None:
        mask &= dates <= filters.date_to
    for column, values in (("facility_id", filters.facility), ("payer", filters.payer),
                           ("coder_id", filters.coder), ("encounter_type", filters.encounter_type)):
        if values:
            mask &= claims[column].isin(values)
    return mask


def expected_summary(facts: pd.DataFrame, filters: Filters, by: str | None) -> pd.DataFrame:
    scoped = facts[in_scope(facts, filters)]
    if by is None:
        key = pd.Series("all", index=scoped.index)
    elif by == "month":
        key = scoped.service_date.dt.strftime("%Y-%m")
    else:
        key = scoped[DIMENSION_KEYS[by]]
    s = scoped.assign(
        clean=scoped.audited & (scoped.errors == 0),
        coding_denied=scoped.denied & scoped.coding,
        principal_ok=scoped.principal_reviewed & scoped.principal_agree,
    )
    g = s.groupby(key.rename("grp")).agg(
        claims=("claim_key", "size"), audited_claims=("audited", "sum"), findings=("findings", "sum"),
        findings_agree=("findings_agree", "sum"), drg_findings=("drg_findings", "sum"), drg_agree=("drg_agree", "sum"),
        clean_claims=("clean", "sum"), dx_codes=("dx_codes", "sum"), unspecified_dx=("unspecified_dx", "sum"),
        invalid_dx=("invalid_dx", "sum"), laterality_unspecified_dx=("laterality_unspecified_dx", "sum"),
        denied_claims=("denied", "sum"), coding_denied_claims=("coding_denied", "sum"),
        appeals_overturned=("appeals_overturned", "sum"), appeals_upheld=("appeals_upheld", "sum"),
        appeals_pending=("appeals_pending", "sum"), principal_dx_reviewed=("principal_reviewed", "sum"),
        principal_dx_agree=("principal_ok", "sum"), denied_cents=("denied_cents", "sum"),
        billed_cents=("billed_cents", "sum"), net_cents=("net_cents", "sum"), over_cents=("over_cents", "sum"),
        under_cents=("under_cents", "sum"),
    ).sort_index()
    g["appeals_decided"] = g.appeals_overturned + g.appeals_upheld
    for rate, (num, den) in RATES.items():
        g[rate] = (g[num] / g[den].where(g[den] > 0)).astype(float)   # a zero denominator is null, never 0
    for name, cents in zip(MONEY, ("denied_cents", "billed_cents", "net_cents", "over_cents", "under_cents"), strict=True):
        g[name] = g[cents] / 100
    return g


def assert_same(actual: pd.DataFrame, expected: pd.DataFrame, key: str) -> None:
    actual = actual.set_index(key).sort_index()
    assert actual.index.tolist() == expected.index.tolist()
    for column in COUNTS:
        assert actual[column].tolist() == expected[column].astype("int64").tolist(), column
    for column in RATES:
        np.testing.assert_allclose(actual[column].to_numpy(float), expected[column].to_numpy(float),
                                   rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=column)
    for column in MONEY:  # to the cent
        np.testing.assert_allclose(actual[column].to_numpy(float), expected[column].to_numpy(float),
                                   rtol=0, atol=1e-6, err_msg=column)


# ---------------------------------------------------------------------------------------------------
# Stores: the demo, and a copy of it after a second batch


def update_batch(raw: Path, folder: Path) -> dict[str, int]:
    """A later batch built from the demo's own raw files: claims move coder and payer, line-1 codes change,
    appeals get decided, unaudited claims get findings, new claims arrive, and adjustments that are not
    denials (CR, CO 0.00, PR with a coding CARC) appear. Returns what the batch should change."""
    read = lambda name: pd.read_csv(raw / f"{name}.csv", dtype=str, keep_default_na=False)  # noqa: E731
    claims, codes, findings, denials = read("claims"), read("claim_codes"), read("audit_findings"), read("denials")
    claims = claims[~claims.claim_id.str.startswith("BAD")]
    denials = denials[denials.claim_id.isin(claims.claim_id)]
    folder.mkdir()
    unaudited = claims[~claims.claim_id.isin(findings.claim_id)].claim_id
    has_dx = codes[(codes.code_type == "ICD10CM_DX") & (codes.line == "1")]
    moved = claims.iloc[:60].assign(coder_id="C999", payer=lambda c: np.where(np.arange(len(c)) % 2, "Medicare", "New Payer"))
    new = claims.iloc[:5].assign(claim_id=[f"NEW{i:07d}" for i in range(5)], service_date="2025-10-01", discharge_date="")
    public = ["claim_id", "facility_id", "payer", "coder_id", "encounter_type", "service_date", "discharge_date", "billed_amount"]
    pd.concat([moved, new])[public].to_csv(folder / "claims.csv", index=False)

    # Line 1 becomes M25.569 (laterality-unspecified) on 20 audited claims, whose principal findings now
    # point at a code no longer on line 1, and on 20 unaudited ones.
    relined = pd.concat([has_dx[~has_dx.claim_id.isin(unaudited)].iloc[:20], has_dx[has_dx.claim_id.isin(unaudited)].iloc[:20]])
    relined = relined.assign(code="M25.569")
    new_codes = pd.DataFrame([(cid, line, "ICD10CM_DX", code) for cid in new.claim_id
                              for line, code in (("1", "I10"), ("2", "R51.9"), ("3", "E11"))],
                             columns=["claim_id", "line", "code_type", "code"])
    pd.concat([relined[["claim_id", "line", "code_type", "code"]], new_codes]).to_csv(folder / "claim_codes.csv", index=False)

    reviewed = has_dx[has_dx.claim_id.isin(unaudited) & ~has_dx.claim_id.isin(relined.claim_id) & (has_dx.code != "R69")].iloc[:50]
    agree = reviewed.iloc[:30].assign(submitted_code=lambda r: r.code, audited_code=lambda r: r.code, finding="agree",
                                      error_category="", dollar_impact="")
    revise = reviewed.iloc[30:].assign(submitted_code=lambda r: r.code, audited_code="R69", finding="revise",
                                       error_category="specificity", dollar_impact="-12.34")
    drg = pd.DataFrame({"claim_id": new.claim_id, "code_type": "MSDRG", "submitted_code": "871", "audited_code": "872",
                        "finding": "revise", "error_category": "drg", "dollar_impact": "-999.99"})
    batch = pd.concat([agree, revise, drg]).assign(review_id="RUPDATE", auditor_id="A09", review_date="2026-11-15")
    batch[["claim_id", "review_id", "auditor_id", "review_date", "code_type", "submitted_code", "audited_code", "finding",
           "error_category", "dollar_impact"]].to_csv(folder / "audit_findings.csv", index=False)

    key = ["claim_id", "payer", "remit_date", "group_code", "carc", "rarc"]
    single = denials[~denials.duplicated(key, keep=False) & denials.group_code.isin(DENIAL_GROUPS)]
    blank = single[single.appeal_status == ""].iloc[:40]
    decided = blank.assign(appeal_status=np.where(np.arange(len(blank)) < 25, "overturned", "upheld"))
    pending = single[single.appeal_status == "pending"].iloc[:10].assign(appeal_status="upheld")
    target = new.claim_id.iloc[0]
    not_denials = pd.DataFrame([
        (target, "Medicare", "2025-11-01", "CR", "16", "", "50.00", "overturned"),
        (target, "Medicare", "2025-11-01", "CO", "45", "", "0.00", "upheld"),
        (target, "Medicare", "2025-11-01", "PR", "16", "", "20.00", ""),
        (new.claim_id.iloc[1], "Medicare", "2025-11-01", "CO", "16", "M81", "400.00", "pending"),
        (new.claim_id.iloc[1], "Medicare", "2025-11-01", "CO", "29", "", "100.00", ""),   # coding and non-coding on one claim
    ], columns=key[:-1] + ["rarc", "denied_amount", "appeal_status"])
    pd.concat([decided, pending, not_denials])[key + ["denied_amount", "appeal_status"]].to_csv(folder / "denials.csv", index=False)
    return {"claims": 5, "overturned": 25, "upheld": 15 + 10, "pending": 1 - 10, "agree_claims": 30, "denial_rows": 5}


@dataclass(frozen=True)
class Stores:
    stages: dict[str, Stage]
    expected_change: dict[str, int]


# The day the demo and its update are loaded: the scopes above and the update's dates (a review on 2026-11-15, new
# claims served on 2025-10-01) are fixed dates, which must fall inside the demo's window and not after its load.
DEMO_DAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    base = tmp_path_factory.mktemp("claim_facts")
    demo = Paths(data_dir=base / "demo", key_dir=base / "keys").ensure()
    updated = Paths(data_dir=base / "updated", key_dir=base / "keys").ensure()
    with pytest.MonkeyPatch.context() as mp:  # keys from the temporary key folder, never the environment
        for var in ("CODEAUDIT_DATA_KEYS", "CODEAUDIT_PSEUDONYM_KEY", "CODEAUDIT_LOG_KEY"):
            mp.delenv(var, raising=False)
        build_demo(demo, n_claims=3000, recorder=Recorded(), keep_raw=base / "raw", today=DEMO_DAY)
        for review_file in demo.data_dir.glob(f"{demo.reviews_db.name}*"):  # both stages count imported findings only,
            review_file.unlink()  # without the demo's reviewed sample (data/demo_review.py)
        shutil.copyfile(demo.store, updated.store)
        change = update_batch(base / "raw", base / "update")
        result = ingest(base / "update", updated, recorder=Recorded(), source="demo",  # an update of the demo, not a first real load
                        today=DEMO_DAY)
        assert not any(result.rejected.values()), result.reject_samples
        stages = {}
        for name, paths in zip(STAGES, (demo, updated), strict=True):
            con = connect_read_only(paths)
            detail = read_detail(con)
            stages[name] = Stage(con, detail, claim_level(detail))
        yield Stores(stages, change)
        for stage in stages.values():
            stage.con.close()


# ---------------------------------------------------------------------------------------------------
# The summary equals the recomputation, overall, by every dimension, in several scopes


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("scope", list(SCOPES))
@pytest.mark.parametrize("by", [None, *DIMENSION_KEYS])
def test_summary_equals_recomputation_from_detail_tables(stores, stage, scope, by):
    s = stores.stages[stage]
    filters = SCOPES[scope]
    expected = expected_summary(s.facts, filters, by)
    actual = summary(s.con, filters, by, intervals=False)
    if by is None:
        actual = actual.assign(scope="all")
        if expected.empty:   # an empty scope: one row of zero counts and null rates
            assert actual.claims.tolist() == [0] and actual.code_accuracy.isna().all()
            return
    assert_same(actual, expected, DIMENSION_KEYS.get(by or "", "scope"))


@pytest.mark.parametrize("stage", STAGES)
def test_the_demo_exercises_every_metric(stores, stage):
    overall = expected_summary(stores.stages[stage].facts, Filters(), None).iloc[0]
    for num, den in RATES.values():   # no metric is vacuously equal because it is always 0 or null
        assert 0 < overall[num] < overall[den], (num, den)


# ---------------------------------------------------------------------------------------------------
# The second ingest rebuilt the facts


def test_second_ingest_rebuilds_the_summary(stores):
    before = summary(stores.stages["demo"].con, Filters(), intervals=False).iloc[0]
    after = summary(stores.stages["after_update"].con, Filters(), intervals=False).iloc[0]
    change = stores.expected_change
    assert after.claims - before.claims == change["claims"]
    assert after.appeals_overturned - before.appeals_overturned == change["overturned"]
    assert after.appeals_upheld - before.appeals_upheld == change["upheld"]
    assert after.appeals_pending - before.appeals_pending == change["pending"]
    # 30 unaudited claims got only agreeing findings, 20 a revision, the 5 new claims a DRG revision.
    assert after.audited_claims - before.audited_claims == 30 + 20 + 5
    assert after.clean_claims - before.clean_claims == change["agree_claims"]
    assert after.drg_findings - before.drg_findings == 5
    coders = summary(stores.stages["after_update"].con, Filters(), "coder", intervals=False).set_index("coder_id")
    assert coders.loc["C999", "claims"] == 60
    facts, detail = stores.stages["after_update"].con.execute(
        "SELECT [(SELECT count(*) FROM claim_facts), (SELECT count(*) FROM dx_facts), (SELECT count(*) FROM finding_facts), "
        "        (SELECT count(*) FROM denial_facts)], "
        "       [(SELECT count(*) FROM claims), (SELECT count(*) FROM claim_codes WHERE code_type = 'ICD10CM_DX'), "
        "        (SELECT count(*) FROM audit_findings), (SELECT count(*) FROM denials)]").fetchone()
    assert facts == detail   # one facts row per detail row, new rows included


def test_replaced_rows_are_not_duplicated(stores):
    before, after = (stores.stages[s].detail for s in STAGES)
    assert len(after.denials) - len(before.denials) == stores.expected_change["denial_rows"]
    assert len(after.claims) - len(before.claims) == stores.expected_change["claims"]
    assert len(after.codes) - len(before.codes) == 5 * 3     # the relined codes replaced their line 1


# ---------------------------------------------------------------------------------------------------
# The detail facts tables: the same rows as the detail tables, with their claim's dimensions


@pytest.mark.parametrize("stage", STAGES)
def test_detail_facts_tables_match_the_detail_tables(stores, stage):
    s = stores.stages[stage]
    d = s.detail
    dims = d.claims[["claim_key", "facility_id", "payer", "coder_id", "encounter_type", "service_date"]]

    def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
        values = frame[columns].astype(object)
        return sorted(map(tuple, values.where(values.notna(), "NULL").astype(str).to_numpy()))

    dx = dx_rows(d).merge(dims, on="claim_key").rename(columns={"is_invalid": "invalid", "is_lateral": "lateral"})
    dx_facts = s.con.execute("SELECT *, NOT billable AS invalid, laterality_unspecified AS lateral FROM dx_facts").df()
    dx = dx.assign(unspecified=dx.is_unspecified)
    columns = ["claim_key", "line", "code", "invalid", "unspecified", "lateral", "facility_id", "payer", "coder_id", "service_date"]
    assert rows(dx_facts, columns) == rows(dx, columns)

    finding_facts = s.con.execute("SELECT * FROM finding_facts").df()
    columns = ["claim_key", "review_id", "code_type", "submitted_code", "audited_code", "finding", "coder_id", "encounter_type"]
    assert rows(finding_facts, columns) == rows(d.findings.merge(dims, on="claim_key"), columns)

    denial_facts = s.con.execute("SELECT *, CAST(denied_amount * 100 AS BIGINT) AS denied_cents FROM denial_facts").df()
    den = denial_rows(d).merge(dims.rename(columns={"payer": "claim_payer"}), on="claim_key")
    den = den.assign(coding_related=den.is_coding)
    columns = ["claim_key", "payer", "claim_payer", "group_code", "carc", "denied_cents", "appeal_status", "is_denial",
               "coding_related", "facility_id"]
    assert rows(denial_facts, columns) == rows(den, columns)


# ---------------------------------------------------------------------------------------------------
# Record-level metrics read the detail facts; they too match the detail tables


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("scope", ["all", "spring_two_payers"])
def test_record_level_metrics_match_the_detail_tables(stores, stage, scope):
    s = stores.stages[stage]
    d, filters = s.detail, SCOPES[scope]
    keys = set(d.claims.loc[in_scope(d.claims, filters), "claim_key"])

    errors = d.findings[d.findings.claim_key.isin(keys) & (d.findings.finding != "agree")]
    expected = errors.groupby("error_category").size()
    got = error_pareto(s.con, filters).set_index("error_category")["errors"]
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()
    assert got.tolist() == sorted(got.tolist(), reverse=True)

    den = denial_rows(d)
    den = den[den.claim_key.isin(keys) & den.is_denial]
    expected = den.groupby("carc").agg(rows=("carc", "size"), claims=("claim_key", "nunique"), cents=("denied_cents", "sum"))
    got = carc_pareto(s.con, filters).set_index("carc").sort_index()
    assert got.denial_rows.tolist() == expected.rows.tolist() and got.denied_claims.tolist() == expected.claims.tolist()
    assert (got.denied_amount.astype(float) * 100).round().astype("int64").tolist() == expected.cents.tolist()

    stages = [den, den[den.appeal_status.notna()], den[den.appeal_status.isin(["overturned", "upheld"])],
              den[den.appeal_status == "overturned"]]
    funnel = appeal_funnel(s.con, filters)
    assert funnel.denial_rows.tolist() == [len(x) for x in stages]
    assert (funnel.denied_amount.astype(float) * 100).round().astype("int64").tolist() == [int(x.denied_cents.sum()) for x in stages]

    dx = dx_rows(d)
    dx = dx[dx.claim_key.isin(keys)].assign(chapter=lambda x: x.chapter.fillna("(not a billable code)"))
    expected = dx.groupby("chapter").agg(n=("code", "size"), u=("is_unspecified", "sum"), i=("is_invalid", "sum"))
    got = specificity_by(s.con, filters, "chapter").set_index("chapter").sort_index()
    assert got[["dx_codes", "unspecified_dx", "invalid_dx"]].values.tolist() == expected[["n", "u", "i"]].values.tolist()
