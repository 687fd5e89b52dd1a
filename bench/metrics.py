"""Metric query speed at scale, against a straightforward pandas implementation in the same run.

Builds (once, cached in bench/out/) a store of --claims claims x 5 code lines (default 2,000,000 claims =
10,000,000 code lines) with a bulk SQL generator, then prints for each dashboard query the median of
--runs runs, and the same metrics computed with pandas over the detail tables, with the ratio.

    python bench/metrics.py [--claims N] [--runs R]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sql_files import sql as bench_sql  # noqa: E402
from config.paths import Paths  # noqa: E402
from ingest.reference import load_carc, load_icd10cm  # noqa: E402
from queries import metrics as m  # noqa: E402
from queries.sql_files import sql  # noqa: E402

OUT = ROOT / "bench" / "out"
SCOPE = m.Filters(date_from=date(2025, 1, 1), date_to=date(2026, 6, 30))


def build(path: Path, claims: int) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    con.execute(sql("schema"))
    load_icd10cm(con)
    load_carc(con)
    con.execute("SET VARIABLE claims = ?", [claims])
    con.execute(bench_sql("big_store"))
    con.execute(sql("claim_rules"))
    con.execute(sql("claim_facts"))
    con.execute(sql("in_scope"))
    con.close()
    tmp.rename(path)


def built_store(claims: int) -> Path:
    """The bench store of `claims` claims in bench/out/, built (and the time it took printed) when it is not there yet."""
    OUT.mkdir(parents=True, exist_ok=True)
    store = OUT / f"metrics_{claims}.duckdb"
    if not store.exists():
        t0 = time.perf_counter()
        build(store, claims)
        print(f"built {store.name} in {time.perf_counter() - t0:.1f} s")
    return store


def linked_data_folder(name: str, claims: int) -> Paths:
    """A new data folder bench/out/<name>_<claims> whose store is the bench store hard-linked (the review benches
    only read it: a link, not a copy), with the benches' own key folder. The caller removes the folder."""
    data = OUT / f"{name}_{claims}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    os.link(built_store(claims), data / "store.duckdb")
    return Paths(data_dir=data, key_dir=OUT / "review_keys")


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


class PandasBaseline:
    """The same metrics the obvious way: filter claims, merge the detail tables, group."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.claims = con.execute(bench_sql("pandas_claims")).df()
        self.claims["billed_amount"] = self.claims["billed_amount"].astype(float)
        self.codes = con.execute(bench_sql("pandas_claim_codes")).df()
        self.findings = con.execute(bench_sql("pandas_audit_findings")).df()
        self.denials = con.execute(bench_sql("pandas_denials")).df()
        self.denials["denied_amount"] = self.denials["denied_amount"].astype(float)
        self.icd = con.execute(bench_sql("pandas_icd10cm")).df()
        self.carc = con.execute(bench_sql("pandas_carc")).df()

    def _scope(self, f: m.Filters) -> pd.DataFrame:
        c = self.claims
        mask = (c.service_date >= pd.Timestamp(f.date_from)) & (c.service_date <= pd.Timestamp(f.date_to))
        return c[mask]

    def summary(self, f: m.Filters, by: str | None = None) -> pd.DataFrame:
        c = self._scope(f).copy()
        c["grp"] = c.service_date.dt.strftime("%Y-%m") if by == "month" else (c.coder_id if by == "coder" else "all")
        keys = c[["claim_key", "grp"]]
        dx = self.codes[self.codes.code_type == "ICD10CM_DX"].merge(keys, on="claim_key").merge(self.icd, on="code", how="left")
        dx["invalid"] = ~dx.billable.eq(True)
        dx["unspecified"] = dx.unspecified.eq(True)
        fi = self.findings.merge(keys, on="claim_key")
        code_level = fi[fi.code_type != "MSDRG"]
        drg = fi[fi.code_type == "MSDRG"]
        clean = fi.assign(agree=fi.finding == "agree").groupby(["grp", "claim_key"]).agree.all().groupby("grp")
        de = self.denials.merge(keys, on="claim_key").merge(self.carc, on="carc", how="left")
        de = de[de.group_code.isin(["CO", "OA", "PI"]) & (de.denied_amount > 0)]
        denied = de.groupby("grp").claim_key.nunique()
        coding = de[de.coding_related.eq(True)].groupby("grp").claim_key.nunique()
        out = pd.DataFrame({
            "claims": c.groupby("grp").size(),
            "code_accuracy": (code_level.finding == "agree").groupby(code_level.grp).mean(),
            "claim_accuracy": clean.mean(),
            "drg_accuracy": (drg.finding == "agree").groupby(drg.grp).mean(),
            "unspecified_rate": dx.groupby("grp").unspecified.mean(),
            "invalid_code_rate": dx.groupby("grp").invalid.mean(),
            "denied_claims": denied,
            "coding_denial_share": coding / denied,
            "denied_amount": de.groupby("grp").denied_amount.sum(),
        })
        out["denial_rate"] = out.denied_claims / out.claims
        return out

    def error_pareto(self, f: m.Filters) -> pd.Series:
        fi = self.findings.merge(self._scope(f)[["claim_key"]], on="claim_key")
        return fi[fi.finding != "agree"].error_category.value_counts()

    def top_unspecified(self, f: m.Filters) -> pd.Series:
        dx = self.codes[self.codes.code_type == "ICD10CM_DX"].merge(self._scope(f)[["claim_key"]], on="claim_key")
        dx = dx.merge(self.icd[self.icd.unspecified], on="code")
        return dx.code.value_counts().head(20)

    def carc_pareto(self, f: m.Filters) -> pd.Series:
        de = self.denials.merge(self._scope(f)[["claim_key"]], on="claim_key")
        de = de[de.group_code.isin(["CO", "OA", "PI"]) & (de.denied_amount > 0)]
        return de.groupby("carc").denied_amount.sum().sort_values(ascending=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    store = built_store(args.claims)
    con = duckdb.connect(str(store), read_only=True, config={"threads": 2})
    lines = con.execute(bench_sql("code_lines")).fetchone()[0]
    print(f"{args.claims:,} claims, {lines:,} code lines; scope {SCOPE.date_from} to {SCOPE.date_to}; median of {args.runs} runs")

    prev = SCOPE.previous_period()
    overview = {
        "filter_options": lambda: m.filter_options(con),
        "summary (current period)": lambda: m.summary(con, SCOPE),
        "summary (previous period)": lambda: m.summary(con, prev),
        "summary by month (trends)": lambda: m.summary(con, SCOPE, "month"),
        "p-chart code_accuracy": lambda: m.control_chart(con, SCOPE, "code_accuracy"),
        "p-chart unspecified_rate": lambda: m.control_chart(con, SCOPE, "unspecified_rate"),
        "p-chart denial_rate": lambda: m.control_chart(con, SCOPE, "denial_rate"),
    }
    trends = {
        "coder funnel": lambda: m.coder_funnel(con, SCOPE),
        "coder scorecards": lambda: m.coder_scorecards(con, SCOPE),
        "error pareto": lambda: m.error_pareto(con, SCOPE),
        "coder x category": lambda: m.coder_category(con, SCOPE),
        "coder drill-down": lambda: m.coder_findings(con, SCOPE, "C007"),
        "specificity by chapter": lambda: m.specificity_by(con, SCOPE, "chapter"),
        "top unspecified codes": lambda: m.top_unspecified(con, SCOPE),
        "invalid codes": lambda: m.invalid_codes(con, SCOPE),
        "CARC pareto": lambda: m.carc_pareto(con, SCOPE),
        "payer denials": lambda: m.payer_denials(con, SCOPE),
        "appeal funnel": lambda: m.appeal_funnel(con, SCOPE),
    }
    results = {}
    for name, fn in {**overview, **trends}.items():
        results[name] = median_ms(fn, args.runs)
        print(f"  {name:<28} {results[name]:8.1f} ms {'OK' if results[name] < 150 else 'OVER 150 ms'}")
    page = sum(results[k] for k in overview)
    print(f"Overview page, all queries: {page:.1f} ms (target < 1000 ms)")

    t0 = time.perf_counter()
    base = PandasBaseline(con)
    print(f"pandas baseline: loaded detail tables in {time.perf_counter() - t0:.1f} s (not counted)")
    pairs = {
        "summary (current period)": (lambda: m.summary(con, SCOPE), lambda: base.summary(SCOPE)),
        "summary by month (trends)": (lambda: m.summary(con, SCOPE, "month"), lambda: base.summary(SCOPE, "month")),
        "coder scorecards": (lambda: m.summary(con, SCOPE, "coder"), lambda: base.summary(SCOPE, "coder")),
        "error pareto": (lambda: m.error_pareto(con, SCOPE), lambda: base.error_pareto(SCOPE)),
        "top unspecified codes": (lambda: m.top_unspecified(con, SCOPE), lambda: base.top_unspecified(SCOPE)),
        "CARC pareto": (lambda: m.carc_pareto(con, SCOPE), lambda: base.carc_pareto(SCOPE)),
    }
    ours, theirs = m.summary(con, SCOPE).iloc[0], base.summary(SCOPE).iloc[0]
    for col in ("code_accuracy", "claim_accuracy", "unspecified_rate", "invalid_code_rate", "denial_rate", "coding_denial_share"):
        assert np.isclose(ours[col], theirs[col], rtol=0, atol=1e-12), (col, ours[col], theirs[col])
    print("pandas and DuckDB agree on every overall rate (to 1e-12)")
    ratios = []
    for name, (duck, pandas_fn) in pairs.items():
        d, p = median_ms(duck, args.runs), median_ms(pandas_fn, max(1, args.runs // 2) if args.claims > 500_000 else args.runs)
        ratios.append(p / d)
        print(f"  {name:<28} duckdb {d:8.1f} ms   pandas {p:9.1f} ms   {p / d:6.1f}x")
    print(f"median speed-up over pandas: {statistics.median(ratios):.1f}x (target >= 3x)")
    errors_by_family(con, args.runs)


def errors_by_family(con: duckdb.DuckDBPyConnection, runs: int) -> None:
    """The "Where errors concentrate" queries (queries/error_families.py) at each level, and for chapter and payer
    the same grouping done by polars over the same finding rows already in memory (loading them not counted)."""
    import polars as pl

    from queries import error_families as ef

    print("Where errors concentrate (queries/error_families.py):")
    timed = {f"errors by {level}": (lambda level=level: ef.errors_by(con, SCOPE, level)) for level in ef.LEVELS}
    timed["what moved (payer)"] = lambda: ef.what_moved(con, SCOPE, SCOPE.previous_period(), "payer")
    timed["family trend (chapter 9)"] = lambda: ef.family_trend(con, SCOPE, "chapter", "9")
    timed["family funnel (block)"] = lambda: ef.family_funnel(con, SCOPE, "block")
    timed["family findings (chapter 9)"] = lambda: ef.family_findings(con, SCOPE, "chapter", "9")
    results = {name: median_ms(fn, runs) for name, fn in timed.items()}
    for name, ms in results.items():
        print(f"  {name:<28} {ms:8.1f} ms")
    rows = pl.from_arrow(con.execute(bench_sql("polars_finding_rows")).arrow())
    dx = pl.col("code_type").is_in(["ICD10CM_DX", "ICD10CM_ADMIT"])

    def polars_errors_by(key: pl.Expr) -> pl.DataFrame:
        scoped = rows.filter(pl.col("service_date").is_between(SCOPE.date_from, SCOPE.date_to)).with_columns(grp=key)
        return scoped.filter(pl.col("grp").is_not_null()).group_by("grp").agg(
            findings=pl.len(), errors=(pl.col("finding") != "agree").sum(),
            overpaid=pl.col("dollar_impact").filter(pl.col("dollar_impact") < 0).sum(),
            underpaid=pl.col("dollar_impact").filter(pl.col("dollar_impact") > 0).sum())

    keys = {"chapter": pl.when(dx).then(pl.col("chapter").fill_null("(not an ICD-10-CM code)")), "payer": pl.col("payer")}
    for level, key in keys.items():
        ours, theirs = ef.errors_by(con, SCOPE, level), polars_errors_by(key)
        assert ours["findings"].sum() == theirs["findings"].sum() and ours["errors"].sum() == theirs["errors"].sum()
        p = median_ms(lambda key=key: polars_errors_by(key), runs)
        d = results[f"errors by {level}"]
        print(f"  errors by {level:<18} duckdb {d:8.1f} ms   polars {p:9.1f} ms   {p / d:6.2f}x")


if __name__ == "__main__":
    main()
