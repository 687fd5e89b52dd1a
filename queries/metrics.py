"""The metrics engine: typed filters in, DataFrames out. Formulas live in docs/METRICS.md and the SQL
files under queries/sql/metrics/; this layer only binds parameters and adds the statistics."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from audit import exports
from queries.sql_files import sql
from queries.stats import add_wilson, funnel_classify, p_chart, wilson_interval

DIMENSIONS = ("month", "coder", "facility", "payer", "encounter_type")
SPECIFICITY_LEVELS = ("chapter", "block", "coder", "facility")


@dataclass(frozen=True)
class Rate:
    """A headline rate: numerator / denominator (both columns of the summary), whether a higher value is
    better (which decides targets and the reading of signals), and its name for people."""

    numerator: str
    denominator: str
    higher_is_better: bool
    label: str

    def of(self, counts: pd.DataFrame) -> pd.Series:
        """The rate in each row of a frame holding its two counts: NaN (never 0) where the denominator is 0."""
        return counts[self.numerator] / counts[self.denominator].where(counts[self.denominator] > 0)


RATES: dict[str, Rate] = {
    "code_accuracy": Rate("findings_agree", "findings", True, "Code accuracy"),
    "claim_accuracy": Rate("clean_claims", "audited_claims", True, "Claim accuracy"),
    "drg_accuracy": Rate("drg_agree", "drg_findings", True, "DRG accuracy"),
    "unspecified_rate": Rate("unspecified_dx", "dx_codes", False, "Unspecified code rate"),
    "invalid_code_rate": Rate("invalid_dx", "dx_codes", False, "Invalid code rate"),
    "laterality_unspecified_rate": Rate("laterality_unspecified_dx", "dx_codes", False, "Laterality unspecified rate"),
    "denial_rate": Rate("denied_claims", "claims", False, "Denial rate"),
    "coding_denial_share": Rate("coding_denied_claims", "denied_claims", False, "Coding-related denial share"),
    "appeal_overturn_rate": Rate("appeals_overturned", "appeals_decided", True, "Appeal overturn rate"),
    "principal_dx_accuracy": Rate("principal_dx_agree", "principal_dx_reviewed", True, "Principal diagnosis accuracy"),
    "drg_mismatch_rate": Rate("drg_mismatches", "billed_drg_claims", False, "DRG mismatch rate"),
    "ungroupable_rate": Rate("ungroupable_claims", "inpatient_claims", False, "Ungroupable claim rate"),
    "mce_edit_rate": Rate("mce_edit_claims", "inpatient_claims", False, "MCE edit rate"),
    "cc_mcc_capture_rate": Rate("cc_mcc_captured", "severity_split_claims", True, "CC/MCC capture rate"),
    "single_cc_mcc_share": Rate("single_cc_mcc_claims", "cc_mcc_claims", False, "Single CC/MCC share"),
}
# Every metric's name for people: the rates, and the dollar figures shown beside them.
LABELS: dict[str, str] = {name: rate.label for name, rate in RATES.items()} | {
    "denied_dollar_rate": "Denied dollars, share of billed",
    "denied_amount": "Denied dollars",
    "case_mix_index": "Case-mix index",
}
# Figures of the summary that are neither counts nor rates of RATES: kept as floats, never rounded to whole numbers.
RATIOS = ("denied_dollar_rate", "case_mix_index")
MONEY = ("denied_amount", "billed_amount", "net_impact", "overpaid", "underpaid")
# The metrics `manage.py metrics` prints, in order, after the group key.
REPORT_FIELDS = (
    "claims", "audited_claims", "findings", "dx_codes", "denied_claims",
    "code_accuracy", "claim_accuracy", "drg_accuracy", "unspecified_rate", "invalid_code_rate",
    "denial_rate", "denied_dollar_rate", "coding_denial_share", "appeal_overturn_rate",
    "laterality_unspecified_rate", "principal_dx_accuracy", "denied_amount", "billed_amount",
    "net_impact", "overpaid", "underpaid",
    "inpatient_claims", "drg_mismatch_rate", "ungroupable_rate", "mce_edit_rate", "single_cc_mcc_share", "case_mix_index",
)
DIMENSION_KEYS = {"month": "month", "coder": "coder_id", "facility": "facility_id", "payer": "payer", "encounter_type": "encounter_type"}
# Claim-level flags (claim_facts.claim_flags) a scope can be narrowed to, e.g. a sampling frame of claims
# whose DRG rests on one CC or MCC. Only the queries of FLAGGED_QUERIES honour them; every other query
# refuses a flagged scope (_run).
CLAIM_FLAGS: dict[str, str] = {
    "drg_mismatch": "Billed DRG differs from the grouped DRG",
    "drg_ungroupable": "Inpatient claim not grouped",
    "mce_edit": "MCE edit present",
    "single_cc_mcc": "DRG rests on one CC/MCC",
}
# The metrics/*.sql queries written to narrow their scope by claim flags (each reads $claim_flags;
# tests/queries/drg/test_drg_metrics.py keeps this set and the SQL equal).
FLAGGED_QUERIES = frozenset({"summary", "drg_mce_edits", "drg_audit_shifts", "drg_mismatch_pairs", "drg_families",
                             "drg_flagged_claims"})


class MetricsError(ValueError):
    """A request the engine cannot answer; the message says which value to change."""


@dataclass(frozen=True)
class Filters:
    """The claim scope: service dates inclusive (None = open), each list empty = all."""

    date_from: date | None = None
    date_to: date | None = None
    facility: tuple[str, ...] = field(default=())
    payer: tuple[str, ...] = field(default=())
    coder: tuple[str, ...] = field(default=())
    encounter_type: tuple[str, ...] = field(default=())
    claim_flags: tuple[str, ...] = field(default=())  # every flag must hold (CLAIM_FLAGS)

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise MetricsError(f"The start date {self.date_from} is after the end date {self.date_to}.")
        unknown = [flag for flag in self.claim_flags if flag not in CLAIM_FLAGS]
        if unknown:
            raise MetricsError(f"No claim flag '{unknown[0]}': choose from {', '.join(CLAIM_FLAGS)}.")

    def params(self) -> dict[str, Any]:
        return {
            "date_from": self.date_from, "date_to": self.date_to,
            "facility": list(self.facility), "payer": list(self.payer),
            "coder": list(self.coder), "encounter_type": list(self.encounter_type),
        }

    def previous_period(self) -> Filters | None:
        """The period of equal length just before this one (None when the range is open)."""
        if self.date_from is None or self.date_to is None:
            return None
        length = (self.date_to - self.date_from).days + 1
        return replace(self, date_from=self.date_from - timedelta(days=length), date_to=self.date_from - timedelta(days=1))


def months_back(day: date, months: int) -> date:
    """The first day of the month `months` months before `day`'s month (0: the first of `day`'s month)."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class FilterOptions:
    min_date: date | None
    max_date: date | None
    facilities: list[str]
    payers: list[str]
    coders: list[str]
    encounter_types: list[str]


def _run(con: duckdb.DuckDBPyConnection, name: str, filters: Filters, **extra: Any) -> pd.DataFrame:
    """Run metrics/<name>.sql on the scope. Claim flags narrow only a query written for them (FLAGGED_QUERIES);
    any other query refuses a flagged scope rather than answering for more claims than asked."""
    params = {**filters.params(), **extra}
    if name in FLAGGED_QUERIES:
        params["claim_flags"] = list(filters.claim_flags)
    elif filters.claim_flags:
        raise MetricsError(f"'{name}' cannot be narrowed to flagged claims ({', '.join(filters.claim_flags)}); clear the flags.")
    return con.execute(sql(f"metrics/{name}"), params).df()


def filter_options(con: duckdb.DuckDBPyConnection) -> FilterOptions:
    row = con.execute(sql("metrics/filter_options")).fetchone()
    return FilterOptions(row[0], row[1], *(list(v or []) for v in row[2:]))


def summary(con: duckdb.DuckDBPyConnection, filters: Filters, by: str | None = None, *, intervals: bool = True) -> pd.DataFrame:
    """Headline counts and rates, one row overall or one per group of `by` (see DIMENSIONS).

    An empty scope gives one row of zero counts and null rates overall, and no rows by group.
    With `intervals`, each rate gets Wilson 95% limits (<rate>_ci_low, <rate>_ci_high).
    Summed from the totals written at ingest for the whole months of the scope and a scan of the days of the
    months it covers in part (from_totals, totals_split), else by scanning every claim: the same frame
    (tests/queries/test_summary_totals.py).
    """
    if by is not None and by not in DIMENSIONS:
        raise MetricsError(f"Cannot group by '{by}': choose one of {', '.join(DIMENSIONS)}.")
    if from_totals(con):
        lists = {name: value for name, value in filters.params().items() if name not in ("date_from", "date_to")}
        df = con.execute(sql("totals/summary"), {**lists, **totals_split(filters),
                                                 "claim_flags": list(filters.claim_flags), "by": by or "all"}).df()
    else:
        df = _run(con, "summary", filters, by=by or "all")
    if df.empty and by is None:
        df = pd.DataFrame([{c: (0 if c != "grp" else "all") for c in df.columns}])
        for ratio in RATIOS:
            df[ratio] = np.nan
    counts = [c for c in df.columns if c not in (*RATIOS, "grp", "billed_weight_sum", *MONEY)]
    df[counts] = df[counts].fillna(0).astype("int64")  # SQL sums arrive as HUGEINT -> float; counts are whole
    df[list(MONEY)] = df[list(MONEY)].astype("float64").round(2)
    df[["case_mix_index", "billed_weight_sum"]] = df[["case_mix_index", "billed_weight_sum"]].astype("float64")
    added: dict[str, Any] = {name: rate.of(df) for name, rate in RATES.items()}
    if intervals:  # every rate's interval in one call over a (groups x rates) array, the columns added at once
        low, high = wilson_interval(df[[r.numerator for r in RATES.values()]], df[[r.denominator for r in RATES.values()]])
        for i, name in enumerate(RATES):
            added[f"{name}_ci_low"], added[f"{name}_ci_high"] = low[:, i], high[:, i]
    df = pd.concat([df, pd.DataFrame(added, index=df.index)], axis=1)
    key = DIMENSION_KEYS.get(by or "", "scope")
    return df.rename(columns={"grp": key}) if by else df.drop(columns=["grp"])


def totals_split(filters: Filters) -> dict[str, date | None]:
    """The scope's dates as totals/summary.sql reads them: the whole calendar months inside them, months_from to
    months_to (None: open; none at all when months_from > months_to), and the days of the months they cover
    only in part, at most two edges head_from..head_to and tail_from..tail_to (None: no such edge)."""
    first, last = filters.date_from, filters.date_to
    head = first is not None and first.day > 1
    tail = last is not None and last != _month_end(last) and not (head and last <= _month_end(first))
    return {
        "months_from": _month_end(first) + timedelta(days=1) if head else first,
        "months_to": months_back(last, 0) - timedelta(days=1) if last is not None and last != _month_end(last) else last,
        "head_from": first if head else None,
        "head_to": min(_month_end(first), last or date.max) if head else None,
        "tail_from": months_back(last, 0) if tail else None,
        "tail_to": last if tail else None,
    }


def from_totals(con: Any) -> bool:
    """Whether the summary is read from the per-month totals written at ingest (queries/sql/totals/): on a DuckDB
    store that holds them, for any scope. A store written before them and the Spark engine scan every claim
    (metrics/summary.sql); both give the same frame."""
    return isinstance(con, duckdb.DuckDBPyConnection) and bool(con.execute(sql("totals/present")).fetchone()[0])


def report_rows(con: duckdb.DuckDBPyConnection, filters: Filters, by: str | None = None, *,
                suppress_small_cells: bool = False) -> list[dict[str, Any]]:
    """Plain rows for scheduled reporting: the group key, then REPORT_FIELDS; null rates stay null.

    With `suppress_small_cells` (audit.exports), the rule is applied to the full summary, before the
    report's fields are picked: a rate whose numerator or denominator is a count from 1 to 10 is blanked
    although those counts are not printed, and grouped rows get complementary suppression, since the
    ungrouped report gives their totals. The rows then end with SUPPRESSED_FLAG."""
    df = summary(con, filters, by, intervals=False)
    fields = ([DIMENSION_KEYS[by]] if by else []) + list(REPORT_FIELDS)
    if suppress_small_cells and not df.empty:
        df = exports.suppress_small_cells(
            df, [c for c in REPORT_FIELDS if c in exports.count_columns(df)],
            rates={name: (rate.numerator, rate.denominator) for name, rate in RATES.items()}, complementary=by is not None)
        fields.append(exports.SUPPRESSED_FLAG)
    return [{k: plain(v) for k, v in rec.items()} for rec in df[fields].to_dict("records")]


def plain(value: Any) -> Any:
    """A frame's value as JSON and CSV take it: numpy scalars as Python numbers, missing as None."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value


def covered_days(filters: Filters, options: FilterOptions) -> tuple[date | None, date | None]:
    """The first and last service day a scope can hold: its dates clipped to the store's first and last
    service date. A month only partly inside them is a partial month on a chart."""
    first = max(d for d in (filters.date_from, options.min_date) if d is not None) if options.min_date else filters.date_from
    last = min(d for d in (filters.date_to, options.max_date) if d is not None) if options.max_date else filters.date_to
    return first, last


def control_chart(con: duckdb.DuckDBPyConnection, filters: Filters, rate: str) -> pd.DataFrame:
    """Monthly p-chart (3-sigma limits, varying n) of one rate, with run-rule flags."""
    return control_charts(con, filters, (rate,))[rate]


def control_charts(con: duckdb.DuckDBPyConnection, filters: Filters, rates: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """Several monthly p-charts from one monthly query (the Overview draws several)."""
    unknown = [r for r in rates if r not in RATES]
    if unknown:
        raise MetricsError(f"No control chart for '{unknown[0]}': choose one of {', '.join(RATES)}.")
    monthly = summary(con, filters, "month", intervals=False)
    first, last = covered_days(filters, filter_options(con))
    return {rate: control_chart_from(monthly, rate, first, last) for rate in rates}


def control_chart_from(monthly: pd.DataFrame, rate: str, first_day: date | None = None,
                       last_day: date | None = None) -> pd.DataFrame:
    """The p-chart of one rate from a monthly summary already in hand, one row per calendar month from
    first_day's month to last_day's (default: the first and last month of `monthly`).

    A month that counted nothing for this rate has totals 0 and a blank rate (`empty`: drawn as a gap,
    never joined across). A month the days cover only in part (`partial`: the first days of the current
    month, or a range that starts or ends mid-month) is charted with its own limits but left out of the
    run rule, so a few days cannot complete or break a run (docs/STATISTICS.md section 2)."""
    counts = RATES[rate]
    observed = dict(zip(monthly["month"], zip(monthly[counts.numerator], monthly[counts.denominator], strict=True), strict=True))
    if first_day is None or last_day is None:
        if not observed:
            return p_chart(pd.DataFrame({"period": [], "successes": [], "totals": []})).assign(empty=False, partial=False)
        first_day = first_day or date.fromisoformat(f"{min(observed)}-01")
        last_day = last_day or _month_end(date.fromisoformat(f"{max(observed)}-01"))
    calendar = calendar_months(first_day, last_day)
    counted = [observed.get(period, (0, 0)) for period in calendar["period"]]
    chart = p_chart(calendar.assign(successes=[int(s) for s, _ in counted], totals=[int(n) for _, n in counted])
                    .drop(columns="partial"), outside_runs=calendar["partial"])
    return chart.assign(empty=chart["totals"] == 0, partial=calendar["partial"])


def calendar_months(first_day: date, last_day: date) -> pd.DataFrame:
    """One row per calendar month from first_day's to last_day's: `period` ('YYYY-MM') and `partial`, true
    for a month the days cover only in part (starting after its 1st or ending before its last day)."""
    periods = [f"{months_back(last_day, back):%Y-%m}" for back in range(_months_between(first_day, last_day), -1, -1)]
    partial = [(p == f"{first_day:%Y-%m}" and first_day.day > 1) or (p == f"{last_day:%Y-%m}" and last_day != _month_end(last_day))
               for p in periods]
    return pd.DataFrame({"period": periods, "partial": partial})


def _month_end(day: date) -> date:
    return months_back(day, -1) - timedelta(days=1)


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def coder_funnel(con: duckdb.DuckDBPyConnection, filters: Filters, target: float | None = None) -> pd.DataFrame:
    """Code accuracy by coder against funnel limits (95%, 99.8%) around the target or the pooled rate."""
    by_coder = summary(con, filters, "coder", intervals=False)
    df = pd.DataFrame({"group": by_coder["coder_id"], "successes": by_coder["findings_agree"], "totals": by_coder["findings"]})
    df = df[df.totals > 0].reset_index(drop=True)
    return funnel_classify(df, target) if len(df) else df


def coder_scorecards(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    df = summary(con, filters, "coder")
    cols = ["coder_id", "claims", "audited_claims", "findings", "code_accuracy", "code_accuracy_ci_low", "code_accuracy_ci_high",
            "claim_accuracy", "drg_accuracy", "unspecified_rate", "denial_rate", "net_impact"]
    return df[cols].sort_values(["code_accuracy", "coder_id"], na_position="last").reset_index(drop=True)


def error_pareto(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    return _run(con, "error_pareto", filters)


def coder_category(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Errors per coder and category, as a rate of the coder's code-level findings."""
    df = _run(con, "coder_category", filters)
    df = df[df.error_category != "none"].copy()
    return add_wilson(df.reset_index(drop=True), "errors", "coder_findings", prefix="error_")


def coder_findings(con: duckdb.DuckDBPyConnection, filters: Filters, coder: str) -> pd.DataFrame:
    return _run(con, "coder_findings", filters, drill_coder=coder)


def specificity_by(con: duckdb.DuckDBPyConnection, filters: Filters, level: str) -> pd.DataFrame:
    if level not in SPECIFICITY_LEVELS:
        raise MetricsError(f"Cannot break specificity down by '{level}': choose one of {', '.join(SPECIFICITY_LEVELS)}.")
    df = _run(con, "specificity_by", filters, level=level)
    df = add_wilson(df, "unspecified_dx", "dx_codes", prefix="unspecified_")  # rewrites unspecified_rate, same value
    df = add_wilson(df, "invalid_dx", "dx_codes", prefix="invalid_code_")
    return df.rename(columns={"grp": level})


def top_unspecified(con: duckdb.DuckDBPyConnection, filters: Filters, limit: int = 20) -> pd.DataFrame:
    return _run(con, "top_unspecified", filters, limit=int(limit))


def invalid_codes(con: duckdb.DuckDBPyConnection, filters: Filters, limit: int = 50) -> pd.DataFrame:
    return _run(con, "invalid_codes", filters, limit=int(limit))


def carc_pareto(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    return _run(con, "carc_pareto", filters)


def payer_denials(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    return _run(con, "payer_denials", filters)


def rarc_pareto(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Denials by remark code (RARC), each with our description: a denial with several codes counts under each."""
    return _run(con, "rarc_pareto", filters)


def denial_sources(con: duckdb.DuckDBPyConnection, claim_keys: tuple[str, ...]) -> pd.DataFrame:
    """Every denial of the given claims with its source: payer, remittance date and trace number."""
    return con.execute(sql("metrics/denial_sources"), {"claim_keys": list(claim_keys)}).df()


def payment_sources(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """How many claims in scope have their paid amount from the claims file, from an 835, or none."""
    return _run(con, "payment_sources", filters)


def appeal_funnel(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    return _run(con, "appeal_funnel", filters)


# What a claim is, for the denial breakdowns (claim_groups in claim_facts.sql): `by` -> its name for people.
DENIAL_GROUPS = {"drg": "DRG", "procedure": "principal procedure", "service_line": "service line"}
# Coding-related reasons so broad that they may say nothing about the coding: 16 (claim lacks information)
# and 50 (not medically necessary). The coding-related share is shown with and without them.
BROAD_CODING_CARCS = ("16", "50")


def _denial_group(by: str) -> None:
    if by not in DENIAL_GROUPS:
        raise MetricsError(f"Cannot break denials down by '{by}': choose one of {', '.join(DENIAL_GROUPS)}.")


def denials_by(con: duckdb.DuckDBPyConnection, filters: Filters, by: str) -> pd.DataFrame:
    """Claims, denied claims, denial rate and denied dollars per DRG, principal procedure or service line."""
    _denial_group(by)
    return _run(con, "denials_by", filters, by=by)


def denied_claims(con: duckdb.DuckDBPyConnection, filters: Filters, by: str, value: str,
                  code_type: str | None = None) -> pd.DataFrame:
    """The denied claims behind one bar of denials_by (pseudonymous claim keys), at most 5,000."""
    _denial_group(by)
    return _run(con, "denied_claims", filters, by=by, value=value, code_type=code_type)


def coding_denial_shares(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """The coding-related denial share with every coding-related CARC and without the broad ones, each with
    its Wilson interval: two rows, `with_broad` True then False."""
    row = _run(con, "coding_denial_shares", filters, broad=list(BROAD_CODING_CARCS)).iloc[0]
    frame = pd.DataFrame({
        "reasons": ["every coding-related CARC", f"without CARC {' and '.join(BROAD_CODING_CARCS)}"],
        "with_broad": [True, False],
        "coding_denied_claims": [int(row["coding_denied_claims"]), int(row["specific_coding_denied_claims"])],
        "denied_claims": [int(row["denied_claims"])] * 2,
    })
    return add_wilson(frame, "coding_denied_claims", "denied_claims", prefix="share_")


def coding_carcs(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """The CARCs that count as coding-related, each with its denied claims and dollars in scope."""
    return _run(con, "coding_carcs", filters, broad=list(BROAD_CODING_CARCS))
