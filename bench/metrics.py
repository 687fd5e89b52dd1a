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
    peer_percentiles_section(con, args.runs)


def peer_percentiles_section(con: duckdb.DuckDBPyConnection, runs: int) -> None:
    """The Peer percentiles page's two queries (queries/peers.py) against polars doing the same over the same
    claim_facts rows held in memory (loading them is not counted): scope, sums per peer, rank per measure."""
    import polars as pl

    from queries import peers

    facts = con.execute(bench_sql("polars_peer_facts")).pl()
    first, last = SCOPE.date_from, SCOPE.date_to

    def polars_percentiles(key: str) -> pl.DataFrame:
        sums = (facts.filter(pl.col("service_date").is_between(first, last)).group_by(key).agg(
            claims=pl.len(), findings=pl.col("findings").sum(), code_errors=(pl.col("findings") - pl.col("findings_agree")).sum(),
            dx_codes=pl.col("dx_codes").sum(), unspecified_dx=pl.col("unspecified_dx").sum(),
            cc_mcc_claims=pl.col("cc_mcc_rests").sum(), single_cc_mcc_claims=pl.col("single_cc_mcc").sum(),
            billed_drg_claims=pl.col("billed_drg").sum(), drg_mismatches=pl.col("drg_mismatch").sum(),
            coding_denied_claims=pl.col("coding_denied").sum()))
        ranked = [sums.filter(pl.col(m.denominator) >= 30).select(pl.col(key), rate=pl.col(m.numerator) / pl.col(m.denominator))
                  .with_columns(percentile=100 * (pl.col("rate").rank("average") - 1) / (pl.len() - 1)) for m in peers.MEASURES.values()]
        return pl.concat(ranked)

    print(f"peer percentiles (scope {first} to {last}), against polars over claim_facts in memory:")
    for peer, key in peers.PEER_KEYS.items():
        ours = median_ms(lambda p=peer: peers.percentiles(con, SCOPE, p, 30), runs)
        theirs = median_ms(lambda k=key: polars_percentiles(k), runs)
        print(f"  peer percentiles by {peer:<9} duckdb {ours:8.1f} ms   polars {theirs:8.1f} ms   "
              f"{'OK' if ours <= theirs else 'SLOWER than polars'}")


if __name__ == "__main__":
    main()
