"""Where errors concentrate: code-level audit errors by code family (ICD-10-CM chapter, block and category;
ICD-10-PCS section and body system; CPT/HCPCS range; MS-DRG family and MDC), by payer and by facility; which
groups moved between two periods (two-proportion z-tests, Benjamini-Hochberg corrected); one group's monthly
p-chart and findings; and a funnel of the groups around the organisation's error rate.

The counting rule and the tests are in docs/METRICS.md ("Where errors concentrate") and the SQL under
queries/sql/errors/; this layer binds parameters and adds the statistics (queries.stats). Never imports
streamlit."""
from __future__ import annotations

from datetime import date
from typing import Any
from weakref import WeakSet

import duckdb
import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from audit import exports
from queries.metrics import RATES, Filters, MetricsError, calendar_months, plain
from queries.reference import PCS_SECTIONS, mdc_titles, pcs_body_system_titles
from queries.sql_files import sql, sql_template
from queries.stats import SIGNIFICANCE, SMALL_SAMPLE, compare_periods, funnel_classify, p_chart, wilson_interval
from queries.words import ERROR_CATEGORIES

# Levels a finding can be grouped at -> their names for people (docs/METRICS.md).
LEVELS: dict[str, str] = {
    "chapter": "ICD-10-CM chapter",
    "block": "ICD-10-CM block",
    "category": "ICD-10-CM category (3 characters)",
    "pcs_section": "ICD-10-PCS section",
    "pcs_body_system": "ICD-10-PCS body system",
    "cpt_range": "CPT/HCPCS range",
    "drg_family": "MS-DRG family",
    "mdc": "Major diagnostic category (MDC)",
    "payer": "Payer",
    "facility": "Facility",
}
# Levels whose rows carry the claim-level denial measures beside the error measures -> the claim_facts column
# they group on.
DENIAL_LEVELS = {"payer": "payer", "facility": "facility_id"}
# The columns `manage.py metrics --errors-by` prints, in order.
REPORT_FIELDS = ("group", "title", "findings", "errors", "error_rate", "error_ci_low", "error_ci_high", "overpaid",
                 "underpaid")
# CPT ranges by the sections of the code set, named by the kind of service (never a licensed description).
CPT_RANGES = {
    "CPT 00100-01999": "anesthesia", "CPT 10004-69990": "surgery", "CPT 70010-79999": "radiology",
    "CPT 80047-89398": "pathology and laboratory", "CPT 90281-99607": "medicine",
    "CPT 99202-99499": "evaluation and management", "CPT Category II": "performance measurement",
    "CPT Category III": "emerging technology",
}
TOP_CATEGORIES = 3
# The MDC group of an inpatient claim the grouper put in no MDC (in the demo, claims it could not group: MS-DRG 999).
NO_MDC = "00"
METHOD = ("two-sided two-proportion z-test (pooled variance) per group with at least "
          f"{SMALL_SAMPLE} findings in both periods, p-values corrected for the number of groups tested by "
          f"Benjamini-Hochberg (false discovery rate {SIGNIFICANCE:.0%})")


# The connections errors/family_rows.sql's TEMP macros are defined on (a connection leaves when it is collected).
_MACROS_DEFINED: WeakSet[duckdb.DuckDBPyConnection] = WeakSet()


def _level(level: str) -> None:
    if level not in LEVELS:
        raise MetricsError(f"Cannot group errors by '{level}': choose one of {', '.join(LEVELS)}.")


def _run(con: duckdb.DuckDBPyConnection, name: str, filters: Filters, level: str, group: str | None = None,
         **extra: Any) -> duckdb.DuckDBPyConnection:
    """errors/<name>.sql run on the scope, its rows left for the caller to fetch. The row macros are defined on
    the connection once: they are TEMP, so they last as long as it does, and defining them cost more than a query
    on an empty level. A scope narrowed to flagged claims is refused: these queries count findings, not flagged
    claims."""
    _level(level)
    if filters.claim_flags:
        raise MetricsError(f"Errors by code family cannot be narrowed to flagged claims ({', '.join(filters.claim_flags)}); "
                           "clear the flags.")
    if con not in _MACROS_DEFINED:
        con.execute(sql("errors/family_rows"))
        _MACROS_DEFINED.add(con)
    return con.execute(sql(f"errors/{name}"), {**filters.params(), "level": level, "one_group": group, **extra})


def _counts(df: pd.DataFrame) -> pd.DataFrame:
    df[["findings", "errors"]] = df[["findings", "errors"]].astype("int64")
    df[["overpaid", "underpaid"]] = df[["overpaid", "underpaid"]].astype("float64").round(2)
    return df


def _top(categories: Any, errors: Any) -> str:
    """'Wrong code 12, Specificity 8, Modifier 3': the group's largest error categories in words."""
    pairs = list(zip(list(categories), list(errors), strict=True))[:TOP_CATEGORIES]
    return ", ".join(f"{ERROR_CATEGORIES.get(str(c), str(c))} {int(n):,}" for c, n in pairs)


def titles(con: duckdb.DuckDBPyConnection, level: str, groups: list[str]) -> dict[str, str]:
    """Each group's title for people: the official ICD-10-CM heading or category title, the MS-DRG family's or
    MDC's, the ICD-10-PCS section's or body system's, the CPT range's kind of service; none for payers and
    facilities. A code that is not in the code set says so."""
    _level(level)
    if level == "pcs_section":
        return {g: PCS_SECTIONS.get(g[:1], "not an ICD-10-PCS section") for g in groups}
    if level == "pcs_body_system":
        named = pcs_body_system_titles()
        return {g: named.get(g) or (f"{PCS_SECTIONS[g[:1]]} section, a body system the reference tables do not name"
                                    if g[:1] in PCS_SECTIONS else "not an ICD-10-PCS section") for g in groups}
    if level == "mdc":
        named = mdc_titles()
        return {g: named.get(g) or ("in no MDC (the grouper assigned none)" if g == NO_MDC else "") for g in groups}
    if level == "cpt_range":
        return {g: CPT_RANGES.get(g, "HCPCS Level II" if g.startswith("HCPCS") else "") for g in groups}
    if level in DENIAL_LEVELS or not groups:
        return dict.fromkeys(groups, "")
    found = dict(con.execute(sql("errors/titles"), {"level": level, "groups": groups}).fetchall())
    return {g: found.get(g, "") for g in groups}


def errors_by(con: duckdb.DuckDBPyConnection, filters: Filters, level: str) -> pd.DataFrame:
    """One row per group of `level` with findings: group, title, findings, errors, error_rate with Wilson 95%
    limits (error_ci_low, error_ci_high), overpaid (negative) and underpaid dollars, top_categories (words)
    and, by payer or facility, the claims' denial measures: claims, denied_claims, coding_denied_claims,
    denial_rate and coding_denial_rate (coding-denied claims per claim). Most errors first.

    The frame is built once from the query's columns: on a level with few groups, pandas operations one by one
    cost more than the query."""
    counted = _run(con, "by_group", filters, level, by_month=False).fetchnumpy()
    order = np.argsort(-counted["errors"], kind="stable")  # by_group.sql orders by group: ties stay so
    counted = {column: values[order] for column, values in counted.items()}
    groups = counted["grp"].tolist()
    findings, errors = counted["findings"], counted["errors"]
    low, high = wilson_interval(errors, findings)
    named = titles(con, level, groups)
    df = pd.DataFrame({
        "group": counted["grp"], "title": np.array([named[g] for g in groups], dtype=object),
        "findings": findings, "errors": errors, "error_rate": errors / np.where(findings > 0, findings, np.nan),
        "error_ci_low": low, "error_ci_high": high,
        "overpaid": np.round(counted["overpaid"], 2), "underpaid": np.round(counted["underpaid"], 2),
        "top_categories": np.array([_top(c, n) for c, n in zip(counted["categories"], counted["category_errors"], strict=True)],
                                   dtype=object),
    })
    if level in DENIAL_LEVELS:
        denials = con.execute(sql_template("errors/denials", group_column=DENIAL_LEVELS[level]), filters.params()).df()
        per_group = denials.set_index("grp").reindex(groups)  # every group has claims in the scope: counts stay integers
        for column in ("claims", "denied_claims", "coding_denied_claims"):
            df[column] = per_group[column].to_numpy()
        df["denial_rate"] = RATES["denial_rate"].of(df)
        df["coding_denial_rate"] = df["coding_denied_claims"] / df["claims"].where(df["claims"] > 0)
    return df


def report_rows(con: duckdb.DuckDBPyConnection, filters: Filters, level: str, *,
                suppress_small_cells: bool = False) -> list[dict[str, Any]]:
    """Rows for `manage.py metrics --errors-by`: REPORT_FIELDS, groups in name order, null rates null. With
    `suppress_small_cells`, a row holding a count from 1 to 10 has every number blanked (audit.exports), with
    complementary suppression (the rows add up to the scope's code-level findings, which `metrics` prints), and
    the rows end with SUPPRESSED_FLAG."""
    df = errors_by(con, filters, level).sort_values("group").reset_index(drop=True)
    fields = list(REPORT_FIELDS)
    if suppress_small_cells and not df.empty:
        df = exports.suppress_small_cells(df, ["findings", "errors"], complementary=True)
        fields.append(exports.SUPPRESSED_FLAG)
    return [{k: plain(v) for k, v in rec.items()} for rec in df[fields].to_dict("records")]



def what_moved(con: duckdb.DuckDBPyConnection, now: Filters, before: Filters, level: str) -> pd.DataFrame:
    """Each group's error rate now and in the comparison period, tested (METHOD).

    Columns: group, title, findings_now, errors_now, rate_now, findings_before, errors_before, rate_before,
    change (now - before), z, p_value, p_adjusted (Benjamini-Hochberg over the groups tested), verdict:
    'worse' or 'better' (p_adjusted under SIGNIFICANCE), 'no significant change', 'small sample' (fewer than
    SMALL_SAMPLE findings in either period: not tested, no verdict) or 'no comparison' (nothing in one period).
    Significant changes first, each part by the size of the change, largest first."""
    cols = ["group", "findings", "errors"]
    a = errors_by(con, now, level)[cols + ["title"]]
    b = errors_by(con, before, level)[cols + ["title"]]
    df = a.merge(b, on="group", how="outer", suffixes=("_now", "_before"))
    df["title"] = df["title_now"].fillna(df["title_before"]).fillna("")
    counts = ["findings_now", "errors_now", "findings_before", "errors_before"]
    df[counts] = df[counts].fillna(0).astype("int64")
    tested = (df["findings_now"] >= SMALL_SAMPLE) & (df["findings_before"] >= SMALL_SAMPLE)
    compared = compare_periods(df["errors_now"], df["findings_now"], df["errors_before"], df["findings_before"])
    df = df.assign(rate_now=compared["rate_now"].to_numpy(), rate_before=compared["rate_before"].to_numpy(),
                   change=compared["change"].to_numpy())
    df["z"] = two_proportion_z(df["errors_now"], df["findings_now"], df["errors_before"], df["findings_before"])
    df["p_value"] = np.where(tested, compared["p_value"].to_numpy(), np.nan)
    df.loc[~tested, "z"] = np.nan
    df["p_adjusted"] = np.nan
    if tested.any():
        df.loc[tested, "p_adjusted"] = multipletests(df.loc[tested, "p_value"].to_numpy(), alpha=SIGNIFICANCE, method="fdr_bh")[1]
    significant = df["p_adjusted"] < SIGNIFICANCE
    df["verdict"] = np.select(
        [(df["findings_now"] == 0) | (df["findings_before"] == 0), ~tested, significant & (df["change"] > 0), significant],
        ["no comparison", "small sample", "worse", "better"], default="no significant change")
    df["significant"] = significant
    df = df.assign(size=df["change"].abs()).sort_values(["significant", "size", "group"], ascending=[False, False, True],
                                                        na_position="last")
    return df[["group", "title", "findings_now", "errors_now", "rate_now", "findings_before", "errors_before",
               "rate_before", "change", "z", "p_value", "p_adjusted", "significant", "verdict"]].reset_index(drop=True)


def two_proportion_z(s1: Any, n1: Any, s0: Any, n0: Any) -> np.ndarray:
    """(p1 - p0) / sqrt(p(1 - p)(1/n1 + 1/n0)) with p the pooled rate: the statistic of compare_periods' test;
    NaN where either period counted nothing or the pooled rate is 0 or 1."""
    s1, n1, s0, n0 = (np.asarray(x, dtype=float) for x in (s1, n1, s0, n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (s1 + s0) / (n1 + n0)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        z = (s1 / n1 - s0 / n0) / se
    return np.where(np.isfinite(z), z, np.nan)


def family_trend(con: duckdb.DuckDBPyConnection, filters: Filters, level: str, group: str,
                 first_day: date | None = None, last_day: date | None = None) -> pd.DataFrame:
    """The monthly p-chart of one group's error rate (3-sigma limits, run rule; queries.stats.p_chart), one row
    per calendar month from first_day's to last_day's (default the months the group has findings in); a month
    without findings is a gap and a partial month stays out of the run rule, as on the headline charts."""
    monthly = _counts(_run(con, "by_group", filters, level, group, by_month=True).df())
    observed = dict(zip(monthly["month"], zip(monthly["errors"], monthly["findings"], strict=True), strict=True))
    if first_day is None or last_day is None:
        if not observed:
            return p_chart(pd.DataFrame({"period": [], "successes": [], "totals": []})).assign(empty=False, partial=False)
        first_day = first_day or date.fromisoformat(f"{min(observed)}-01")
        last_day = last_day or _month_end(max(observed))
    calendar = calendar_months(first_day, last_day)
    counted = [observed.get(period, (0, 0)) for period in calendar["period"]]
    chart = p_chart(calendar.assign(successes=[int(s) for s, _ in counted], totals=[int(n) for _, n in counted])
                    .drop(columns="partial"), outside_runs=calendar["partial"])
    return chart.assign(empty=chart["totals"] == 0, partial=calendar["partial"])


def _month_end(month: str) -> date:
    year, number = int(month[:4]), int(month[5:7])
    following = date(year + number // 12, number % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def family_findings(con: duckdb.DuckDBPyConnection, filters: Filters, level: str, group: str) -> pd.DataFrame:
    """The findings behind one group (pseudonymous claim keys only), errors first, at most 5,000."""
    return _run(con, "findings", filters, level, group).df()


def family_funnel(con: duckdb.DuckDBPyConnection, filters: Filters, level: str) -> tuple[pd.DataFrame, float]:
    """The groups' error rates inside exact binomial funnel limits (queries.stats.funnel_classify) around the
    organisation's code-level error rate in the scope (every code-level finding), and that rate.

    A group with fewer than SMALL_SAMPLE findings gets status 'small sample' whatever its rate: no verdict."""
    overall = con.execute(sql("errors/overall"), filters.params()).df().iloc[0]
    if int(overall["findings"]) == 0:
        return pd.DataFrame(columns=["group", "successes", "totals", "status"]), float("nan")
    rate = float((overall["findings"] - overall["findings_agree"]) / overall["findings"])
    groups = errors_by(con, filters, level)
    df = pd.DataFrame({"group": groups["group"], "successes": groups["errors"], "totals": groups["findings"]})
    if df.empty:
        return df.assign(status=pd.Series(dtype=str)), rate
    df = funnel_classify(df, rate)
    df.loc[df["totals"] < SMALL_SAMPLE, "status"] = "small sample"
    return df, rate
