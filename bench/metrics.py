"""Metric query speed at scale, against the fastest in-process alternative in the same run.

Builds (once, cached in bench/out/) a store of --claims claims x 5 code lines (default 2,000,000 claims =
10,000,000 code lines) with a bulk SQL generator, reads it as a dashboard session does (the reviewed-findings
overlay in place), then prints for each dashboard query the median of --runs runs, and beside the main ones
and the Overview's queries together the same work done by polars over the same fact rows already in memory
(pip install -r bench/requirements.txt), timed in turn with ours, with the ratio.

    python bench/metrics.py [--claims N] [--runs R] [--sections headline,peers,errors]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sql_files import sql as bench_sql  # noqa: E402
from config.paths import Paths  # noqa: E402
from ingest.reference import load_carc, load_icd10cm  # noqa: E402
from queries import metrics as m  # noqa: E402
from queries import reviewed, store  # noqa: E402
from queries.sql_files import sql  # noqa: E402

OUT = ROOT / "bench" / "out"
SCOPE = m.Filters(date_from=date(2025, 1, 1), date_to=date(2026, 6, 30))
PREVIOUS = SCOPE.previous_period()
WINDOW = replace(SCOPE, date_from=m.months_back(SCOPE.date_to, 23))  # the Overview's 24-month trend window
SECTIONS = ("headline", "peers", "errors")


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
    con.execute(sql("totals/build"))
    con.execute(sql("in_scope"))
    con.close()
    tmp.rename(path)


def add_totals(path: Path) -> None:
    """A bench store built before the per-month totals (queries/sql/totals/build.sql) gets them, as an ingest
    writes them, without being rebuilt (the 20M-claim store takes minutes to build)."""
    con = duckdb.connect(str(path))
    try:
        if not con.execute(sql("totals/present")).fetchone()[0]:
            t0 = time.perf_counter()
            con.execute(sql("claim_rules"))
            con.execute(sql("totals/build"))
            print(f"added the per-month totals to {path.name} in {time.perf_counter() - t0:.1f} s")
    finally:
        con.close()


def built_store(claims: int) -> Path:
    """The bench store of `claims` claims in bench/out/, built (and the time it took printed) when it is not there yet."""
    OUT.mkdir(parents=True, exist_ok=True)
    store = OUT / f"metrics_{claims}.duckdb"
    if not store.exists():
        t0 = time.perf_counter()
        build(store, claims)
        print(f"built {store.name} in {time.perf_counter() - t0:.1f} s")
    add_totals(store)
    return store


def linked_data_folder(name: str, claims: int) -> Paths:
    """A new data folder bench/out/<name>_<claims> whose store is the bench store hard-linked (the review benches
    only read it: a link, not a copy), with the benches' own key folder. The caller removes the folder."""
    store = built_store(claims)  # makes bench/out/ on a fresh checkout
    data = OUT / f"{name}_{claims}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    os.link(store, data / "store.duckdb")
    return Paths(data_dir=data, key_dir=OUT / "review_keys")


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


class PolarsBaseline:
    """The fastest in-process alternative: polars over the same fact rows the queries read (the reader's
    `claim_facts`, `finding_facts`, `dx_facts`, `denial_facts`), already in memory. Imported here only:
    polars is a bench requirement (bench/requirements.txt), never a runtime one."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        import polars as pl

        self.pl = pl
        self.claims = con.execute(bench_sql("polars_claim_facts")).pl()
        self.findings = con.execute(bench_sql("polars_finding_facts")).pl()
        self.dx = con.execute(bench_sql("polars_dx_facts")).pl()
        self.denials = con.execute(bench_sql("polars_denial_facts")).pl()

    def _in_scope(self, frame: Any, f: m.Filters) -> Any:
        c = self.pl.col("service_date")
        return frame.filter((c >= f.date_from) & (c <= f.date_to))

    def summary(self, f: m.Filters, by: str | None = None) -> Any:
        """The summary's counts and sums (summary.sql) and its rates (queries.metrics.RATES), by group."""
        pl, c = self.pl, self.pl.col
        key = {"month": c("service_month").dt.strftime("%Y-%m"), "coder": c("coder_id")}.get(by or "", pl.lit("all"))
        counts = {"audited_claims": c("audited"), "clean_claims": c("audited") & c("all_agree"),
                  "denied_claims": c("denied"), "coding_denied_claims": c("coding_denied"),
                  "principal_dx_reviewed": c("principal_dx_reviewed"), "principal_dx_agree": c("principal_dx_agree"),
                  "inpatient_claims": c("inpatient"), "billed_drg_claims": c("inpatient") & c("billed_drg").is_not_null(),
                  "drg_mismatches": c("drg_mismatch"), "ungroupable_claims": c("drg_ungroupable"),
                  "mce_edit_claims": c("mce_edit"), "severity_split_claims": c("severity_split"),
                  "cc_mcc_captured": c("severity_split") & c("cc_mcc_rests"), "cc_mcc_claims": c("cc_mcc_rests"),
                  "single_cc_mcc_claims": c("single_cc_mcc")}
        sums = ("findings", "findings_agree", "drg_findings", "drg_agree", "dx_codes", "unspecified_dx", "invalid_dx",
                "laterality_unspecified_dx", "denied_amount", "billed_amount", "appeals_overturned", "appeals_upheld",
                "appeals_pending", "net_impact", "overpaid", "underpaid")
        out = (self._in_scope(self.claims, f).group_by(key.alias("grp"))
               .agg(pl.len().alias("claims"), *(e.fill_null(False).sum().alias(n) for n, e in counts.items()),
                    *(c(n).sum() for n in sums), c("billed_weight").count().alias("weighted_claims"),
                    c("billed_weight").sum().alias("billed_weight_sum"))
               .with_columns((c("appeals_overturned") + c("appeals_upheld")).alias("appeals_decided")))
        return out.with_columns(
            *((c(r.numerator) / pl.when(c(r.denominator) > 0).then(c(r.denominator))).alias(name)
              for name, r in m.RATES.items()),
            (c("denied_amount") / pl.when(c("billed_amount") != 0).then(c("billed_amount"))).alias("denied_dollar_rate"),
            (c("billed_weight_sum") / pl.when(c("weighted_claims") > 0).then(c("weighted_claims"))).alias("case_mix_index"),
        ).sort("grp")

    def filter_options(self) -> tuple[object, ...]:
        c = self.claims
        return (c["service_date"].min(), c["service_date"].max(),
                *(sorted(c[k].unique().drop_nulls()) for k in ("facility_id", "payer", "coder_id", "encounter_type")))

    def error_pareto(self, f: m.Filters) -> Any:
        pl, c = self.pl, self.pl.col
        return (self._in_scope(self.findings, f).filter(c("finding") != "agree").group_by("error_category")
                .agg(pl.len().alias("errors"), c("dollar_impact").sum().alias("net_impact"),
                     c("dollar_impact").abs().sum().alias("dollars"))
                .sort(["errors", "error_category"], descending=[True, False])
                .with_columns((c("errors") / c("errors").sum()).alias("share"),
                              (c("errors").cum_sum() / c("errors").sum()).alias("cumulative_share")))

    def top_unspecified(self, f: m.Filters) -> Any:
        pl, c = self.pl, self.pl.col
        return (self._in_scope(self.dx, f).filter(c("unspecified")).group_by("code").agg(pl.len().alias("uses"))
                .sort(["uses", "code"], descending=[True, False]).head(20))

    def carc_pareto(self, f: m.Filters) -> Any:
        pl, c = self.pl, self.pl.col
        return (self._in_scope(self.denials, f).filter(c("is_denial")).group_by("carc", "coding_related")
                .agg(pl.len().alias("denial_rows"), c("claim_key").n_unique().alias("denied_claims"),
                     c("denied_amount").sum())
                .sort(["denied_amount", "carc"], descending=[True, False])
                .with_columns((c("denied_amount") / c("denied_amount").sum()).alias("share")))


def overview(con: duckdb.DuckDBPyConnection) -> None:
    """What the Overview page asks of its reader (views/pages/overview.py): the store's dates, the scope's summary
    and its comparison period's, the 24-month trend window by month and its p-charts (here of every rate, a few
    more than the page draws: bench/ imports no view), the pending reviews."""
    options = m.filter_options(con)
    m.summary(con, SCOPE)
    m.summary(con, PREVIOUS)
    monthly = m.summary(con, WINDOW, "month", intervals=False)
    first, last = m.covered_days(WINDOW, options)
    for rate in m.RATES:
        m.control_chart_from(monthly, rate, first, last)
    reviewed.pending(con, SCOPE)


def polars_overview(base: PolarsBaseline) -> None:
    base.filter_options()
    base.summary(SCOPE)
    base.summary(PREVIOUS)
    base.summary(WINDOW, "month")


def paired_medians(ours: Callable[[], object], theirs: Callable[[], object], runs: int) -> tuple[float, float]:
    """Medians of `runs` timings of each, taken in turn (ours, theirs, ours, ...) so that a busy machine slows
    both alike."""
    ours(), theirs()  # warm
    a, b = [], []
    for _ in range(runs):
        for fn, times in ((ours, a), (theirs, b)):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(a), statistics.median(b)


def check_agreement(con: duckdb.DuckDBPyConnection, base: PolarsBaseline) -> None:
    """The polars summary equals ours: counts exactly, rates to 1e-12, overall and by month."""
    for by in (None, "month"):
        ours = m.summary(con, SCOPE, by, intervals=False)
        theirs = base.summary(SCOPE, by).to_pandas()
        assert len(ours) == len(theirs), (by, len(ours), len(theirs))
        for col in ("claims", "audited_claims", "findings", "dx_codes", "denied_claims", "inpatient_claims"):
            assert ours[col].tolist() == theirs[col].tolist(), (by, col)
        for col in (*m.RATES, "case_mix_index"):
            assert np.allclose(ours[col].astype(float), theirs[col].astype(float), rtol=0, atol=1e-12, equal_nan=True), (by, col)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated, of {', '.join(SECTIONS)} (default: all)")
    args = parser.parse_args()
    sections = args.sections.split(",")
    if unknown := set(sections) - set(SECTIONS):
        parser.error(f"unknown section {', '.join(sorted(unknown))}: choose from {', '.join(SECTIONS)}")
    paths = linked_data_folder("metrics", args.claims)
    try:
        con = store.connect_read_only(paths)  # a dashboard session's reader: the reviewed-findings overlay in place
        run(con, args.claims, args.runs, sections)
        con.close()
    finally:
        shutil.rmtree(paths.data_dir, ignore_errors=True)


def run(con: duckdb.DuckDBPyConnection, claims: int, runs: int, sections: list[str]) -> None:
    lines = con.execute(bench_sql("code_lines")).fetchone()[0]
    print(f"{claims:,} claims, {lines:,} code lines; scope {SCOPE.date_from} to {SCOPE.date_to}; median of {runs} runs; "
          f"read as a dashboard session reads (queries.store.connect_read_only); load average {os.getloadavg()[0]:.1f}")
    if "headline" in sections:
        headline(con, runs)
    if "peers" in sections:
        peer_percentiles_section(con, runs)
    if "errors" in sections:
        errors_by_family(con, runs)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def dashboard_queries(con: duckdb.DuckDBPyConnection) -> dict[str, Callable[[], object]]:
    """Each dashboard query as a page asks it of its reader, by name (bench/growth.py times the same list)."""
    return {
        "filter_options": lambda: m.filter_options(con),
        "summary (current period)": lambda: m.summary(con, SCOPE),
        "summary (previous period)": lambda: m.summary(con, PREVIOUS),
        "summary by month (trends)": lambda: m.summary(con, WINDOW, "month", intervals=False),
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


def headline(con: duckdb.DuckDBPyConnection, runs: int) -> None:
    queries = dashboard_queries(con)
    for name, fn in queries.items():
        ms = median_ms(fn, runs)
        print(f"  {name:<28} {ms:8.1f} ms")

    t0 = time.perf_counter()
    base = PolarsBaseline(con)
    print(f"polars baseline: fact rows loaded into memory in {time.perf_counter() - t0:.1f} s (not counted)")
    check_agreement(con, base)
    print("polars and DuckDB agree on every summary count (exactly) and rate (to 1e-12), overall and by month")
    pairs = {
        "filter_options": (lambda: m.filter_options(con), base.filter_options),
        "summary (current period)": (lambda: m.summary(con, SCOPE), lambda: base.summary(SCOPE)),
        "summary by month": (lambda: m.summary(con, SCOPE, "month"), lambda: base.summary(SCOPE, "month")),
        "summary by coder": (lambda: m.summary(con, SCOPE, "coder"), lambda: base.summary(SCOPE, "coder")),
        "error pareto": (lambda: m.error_pareto(con, SCOPE), lambda: base.error_pareto(SCOPE)),
        "top unspecified codes": (lambda: m.top_unspecified(con, SCOPE), lambda: base.top_unspecified(SCOPE)),
        "CARC pareto": (lambda: m.carc_pareto(con, SCOPE), lambda: base.carc_pareto(SCOPE)),
        "Overview, all its queries": (lambda: overview(con), lambda: polars_overview(base)),
    }
    print(f"  {'query':<28} {'ours':>11} {'polars':>11}   ratio (ours / polars; <= 1.0 is the target)")
    for name, (ours, theirs) in pairs.items():
        d, p = paired_medians(ours, theirs, runs)
        print(f"  {name:<28} {d:8.1f} ms {p:8.1f} ms   {d / p:5.2f}x")
    print("(ours includes the pandas frame each query returns and the Wilson intervals of the summaries; "
          "the Overview target is under 300 ms)")


def peer_percentiles_section(con: duckdb.DuckDBPyConnection, runs: int) -> None:
    """The Peer percentiles page's two queries (queries/peers.py) against polars doing the same over the same
    claim_facts rows held in memory (loading them is not counted): scope, sums per peer, rank per measure. Both
    are timed in turn (paired_medians), after checking that they agree on every count and percentile."""
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
        ranked = [sums.filter(pl.col(m.denominator) >= 30).select(pl.col(key).alias("peer"), measure=pl.lit(name),
                                                                  numerator=pl.col(m.numerator).cast(pl.Int64), rate=pl.col(m.numerator) / pl.col(m.denominator))
                  .with_columns(percentile=100 * (pl.col("rate").rank("average") - 1) / (pl.len() - 1))
                  for name, m in peers.MEASURES.items()]
        return pl.concat(ranked)

    print(f"peer percentiles (scope {first} to {last}), against polars over claim_facts in memory, timed in turn:")
    for peer, key in peers.PEER_KEYS.items():
        ours = peers.percentiles(con, SCOPE, peer, 30)
        theirs = polars_percentiles(key).to_pandas()
        ranked = ours[ours["flag"] != "low_volume"].merge(theirs, on=["peer", "measure"], suffixes=("", "_polars"))
        assert len(ranked) == len(theirs) and (ranked["numerator"] == ranked["numerator_polars"]).all()
        assert np.allclose(ranked["percentile"], ranked["percentile_polars"], rtol=0, atol=1e-12, equal_nan=True)
        d, p = paired_medians(lambda p=peer: peers.percentiles(con, SCOPE, p, 30), lambda k=key: polars_percentiles(k), runs)
        print(f"  peer percentiles by {peer:<9} {d:8.1f} ms {p:8.1f} ms   {d / p:5.2f}x")


def polars_error_groups(rows: Any, claims: Any, level: str, *, whole: bool = True) -> Any:
    """What queries.error_families.errors_by computes at `level`, done by polars over the finding rows already in
    memory: each finding's group by the counting rule (docs/METRICS.md), then per group findings, errors, overpaid
    and underpaid dollars and (`whole`) the error categories largest first, and by payer or facility the claims'
    denial counts and rates beside them. Without `whole`, the four counts and sums only: less than errors_by
    does, the lighter baseline."""
    import polars as pl

    c = pl.col
    code, kind = c("family_code"), c("code_type")
    dx, pcs = kind.is_in(["ICD10CM_DX", "ICD10CM_ADMIT"]), kind == "ICD10PCS"
    number = code.cast(pl.Int64, strict=False)
    cpt = (pl.when(code.str.contains(r"^\d{4}F$")).then(pl.lit("CPT Category II"))
           .when(code.str.contains(r"^\d{4}T$")).then(pl.lit("CPT Category III"))
           .when(number.is_between(100, 1999)).then(pl.lit("CPT 00100-01999"))
           .when(number.is_between(10004, 69990)).then(pl.lit("CPT 10004-69990"))
           .when(number.is_between(70010, 79999)).then(pl.lit("CPT 70010-79999"))
           .when(number.is_between(80047, 89398)).then(pl.lit("CPT 80047-89398"))
           .when(number.is_between(99202, 99499)).then(pl.lit("CPT 99202-99499"))
           .when(number.is_between(90281, 99607)).then(pl.lit("CPT 90281-99607"))
           .otherwise(pl.lit("CPT other")))
    keys = {
        "chapter": pl.when(dx).then(c("chapter").fill_null("(not an ICD-10-CM code)")),
        "block": pl.when(dx).then(c("block").fill_null("(not an ICD-10-CM code)")),
        "category": pl.when(dx).then(code.str.slice(0, 3)),
        "pcs_section": pl.when(pcs).then(code.str.slice(0, 1)),
        "pcs_body_system": pl.when(pcs).then(code.str.slice(0, 2)),
        "cpt_range": pl.when(kind == "HCPCS").then(pl.lit("HCPCS ") + code.str.slice(0, 1)).when(kind == "CPT").then(cpt),
        "drg_family": pl.when(c("grouped")).then(c("drg_family").fill_null("(not grouped)")),
        "mdc": pl.when(c("grouped")).then(c("grouped_mdc").cast(pl.Utf8).str.zfill(2).fill_null("(not grouped)")),
        "payer": c("payer"),
        "facility": c("facility_id"),
    }
    scoped = rows.filter(c("service_date").is_between(SCOPE.date_from, SCOPE.date_to)).with_columns(grp=keys[level])
    if not whole:
        return scoped.filter(c("grp").is_not_null()).group_by("grp").agg(
            findings=pl.len(), errors=(c("finding") != "agree").sum(),
            overpaid=c("dollar_impact").filter(c("dollar_impact") < 0).sum(),
            underpaid=c("dollar_impact").filter(c("dollar_impact") > 0).sum())
    cells = scoped.filter(c("grp").is_not_null()).group_by("grp", "error_category").agg(
        findings=pl.len(), errors=(c("finding") != "agree").sum(),
        overpaid=c("dollar_impact").filter(c("dollar_impact") < 0).sum(),
        underpaid=c("dollar_impact").filter(c("dollar_impact") > 0).sum())
    errors = c("errors").filter(c("errors") > 0)
    groups = cells.group_by("grp").agg(
        c("findings").sum(), c("errors").sum(), c("overpaid").sum(), c("underpaid").sum(),
        categories=c("error_category").filter(c("errors") > 0).sort_by([errors, c("error_category").filter(c("errors") > 0)],
                                                                         descending=[True, False]))
    if level in ("payer", "facility"):
        column = "payer" if level == "payer" else "facility_id"
        denials = claims.filter(c("service_date").is_between(SCOPE.date_from, SCOPE.date_to)).group_by(column).agg(
            claims=pl.len(), denied_claims=c("denied").sum(), coding_denied_claims=c("coding_denied").sum())
        groups = groups.join(denials.rename({column: "grp"}), on="grp", how="left").with_columns(
            denial_rate=c("denied_claims") / c("claims"), coding_denial_rate=c("coding_denied_claims") / c("claims"))
    return groups.sort(["errors", "grp"], descending=[True, False])


def errors_by_family(con: duckdb.DuckDBPyConnection, runs: int) -> None:
    """The "Where errors concentrate" queries (queries/error_families.py): each level's errors_by against polars
    doing the same over the same finding rows already in memory (polars_error_groups; loading them not counted),
    timed in turn after checking that both give the same groups with the same counts and dollars; then the page's
    other queries alone."""
    import polars as pl

    from queries import error_families as ef

    rows = pl.from_arrow(con.execute(bench_sql("polars_finding_rows")).arrow())
    claims = pl.from_arrow(con.execute(bench_sql("polars_denial_claims")).arrow())
    print("Where errors concentrate (queries/error_families.py), against polars over the finding rows in memory, timed in turn "
          "(polars doing the same work; then polars computing the four counts and sums only):")
    for level in ef.LEVELS:
        ours, theirs = ef.errors_by(con, SCOPE, level), polars_error_groups(rows, claims, level).to_pandas()
        assert ours["group"].tolist() == theirs["grp"].tolist(), level
        assert ours["findings"].tolist() == theirs["findings"].tolist() and ours["errors"].tolist() == theirs["errors"].tolist()
        assert np.allclose(ours["overpaid"], theirs["overpaid"].fillna(0), rtol=0, atol=0.005), level
        d, p = paired_medians(lambda level=level: ef.errors_by(con, SCOPE, level),
                              lambda level=level: polars_error_groups(rows, claims, level), runs)
        d2, light = paired_medians(lambda level=level: ef.errors_by(con, SCOPE, level),
                                   lambda level=level: polars_error_groups(rows, claims, level, whole=False), runs)
        print(f"  errors by {level:<18} {d:8.1f} ms {p:8.1f} ms   {d / p:5.2f}x   counts only: {d2:8.1f} ms {light:8.1f} ms   "
              f"{d2 / light:5.2f}x   ({len(ours):,} groups)")
    timed = {
        "what moved (payer)": lambda: ef.what_moved(con, SCOPE, SCOPE.previous_period(), "payer"),
        "family trend (chapter 9)": lambda: ef.family_trend(con, SCOPE, "chapter", "9"),
        "family funnel (block)": lambda: ef.family_funnel(con, SCOPE, "block"),
        "family findings (chapter 9)": lambda: ef.family_findings(con, SCOPE, "chapter", "9"),
    }
    for name, fn in timed.items():
        print(f"  {name:<28} {median_ms(fn, runs):8.1f} ms")


if __name__ == "__main__":
    main()
