"""DRG validation breakdowns beyond the headline rates of queries.metrics.summary (which holds the DRG
mismatch, ungroupable, MCE edit, CC/MCC capture and single-CC/MCC rates and the case-mix index): MCE edits
by type, DRG shifts from audits and from the grouper, capture by DRG family, and the flagged claims behind them.
Formulas: docs/METRICS.md ("DRG validation"). Never imports streamlit."""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from queries.metrics import CLAIM_FLAGS, Filters, MetricsError, _run
from queries.sql_files import sql
from queries.stats import add_wilson

CLAIMS_SHOWN = 1000  # a drill-down lists at most this many claims


@dataclass(frozen=True)
class WeightsSource:
    """The relative weights the store holds: how many, whether they are the demo's synthetic ones, and the
    fiscal years they cover (None when there are none)."""

    weights: int
    synthetic: bool
    first_year: int | None
    last_year: int | None

    def describe(self) -> str:
        if not self.weights:
            return ("No DRG relative weights are loaded (data/reference/drg_weights.csv), so DRG changes are shown as "
                    "DRG shifts only, without case-mix index or dollars.")
        years = f"fiscal years {self.first_year} to {self.last_year}"
        if self.synthetic:
            return (f"Relative weights: SYNTHETIC demo values for {years}, made up for the demo and not CMS weights; "
                    "the case-mix index and dollar effects below illustrate the method only.")
        return f"Relative weights from data/reference/drg_weights.csv, {years}."


def weights_source(con: duckdb.DuckDBPyConnection) -> WeightsSource:
    return WeightsSource(*con.execute(sql("metrics/drg_weights_source")).fetchone())


@dataclass(frozen=True)
class DrgShifts:
    """DRG changes by (from, to) pair, most frequent first (at most the limit asked for), and the totals over
    every pair: `changes` claims or findings, `weighted` of them with both weights known, their summed
    `weight_difference` (None when none is weighted) and its `dollar_impact` (None without a base rate)."""

    pairs: pd.DataFrame
    changes: int
    weighted: int
    weight_difference: float | None
    dollar_impact: float | None


def _shifts(df: pd.DataFrame, count: str, base_rate: float | None) -> DrgShifts:
    """dollar_impact = weight_difference x base rate, per pair and in total; absent without a base rate."""
    first = df.iloc[0] if len(df) else None
    total = None if first is None or pd.isna(first["all_weight_difference"]) else float(first["all_weight_difference"])
    pairs = df.drop(columns=[f"all_{count}", "all_weighted", "all_weight_difference"])
    if base_rate is not None:
        pairs = pairs.assign(dollar_impact=(pairs["weight_difference"] * base_rate).round(2))
    return DrgShifts(pairs, 0 if first is None else int(first[f"all_{count}"]), 0 if first is None else int(first["all_weighted"]),
                     total, None if total is None or base_rate is None else round(total * base_rate, 2))


def mce_edits(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Per MCE edit: claims with it, inpatient claims in scope, edit_rate with Wilson limits."""
    df = _run(con, "drg_mce_edits", filters)
    return add_wilson(df, "claims", "inpatient_claims", prefix="edit_")


def audit_drg_shifts(con: duckdb.DuckDBPyConnection, filters: Filters, base_rate: float | None = None,
                     limit: int = 20) -> DrgShifts:
    """DRG changes from audit findings (billed -> revised), most frequent pairs first."""
    return _shifts(_run(con, "drg_audit_shifts", filters, limit=int(limit)), "findings", base_rate)


def mismatch_pairs(con: duckdb.DuckDBPyConnection, filters: Filters, base_rate: float | None = None,
                   limit: int = 20) -> DrgShifts:
    """Billed DRG against the grouped DRG where they differ, most frequent pairs first."""
    return _shifts(_run(con, "drg_mismatch_pairs", filters, limit=int(limit)), "claims", base_rate)


def families(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """CC/MCC capture per DRG family split by severity, with Wilson limits (capture_ci_low/high), and the
    single-CC/MCC share of the captured claims."""
    df = _run(con, "drg_families", filters)
    df = add_wilson(df, "cc_mcc_captured", "claims", prefix="capture_")
    return df.assign(single_cc_mcc_share=df["single_cc_mcc_claims"] / df["cc_mcc_captured"].where(df["cc_mcc_captured"] > 0))


def flagged_claims(con: duckdb.DuckDBPyConnection, filters: Filters, flag: str, base_rate: float | None = None,
                   limit: int = CLAIMS_SHOWN) -> pd.DataFrame:
    """The inpatient claims carrying `flag` (one of queries.metrics.CLAIM_FLAGS), newest first, by pseudonymous
    claim key, with their DRGs, weights, CC/MCC codes, MCE edits, age (90+) and sex; dollar_impact with a base rate."""
    if flag not in CLAIM_FLAGS:
        raise MetricsError(f"No claim flag '{flag}': choose from {', '.join(CLAIM_FLAGS)}.")
    df = _run(con, "drg_flagged_claims", filters, flag=flag, limit=int(limit))
    return df.assign(dollar_impact=(df["weight_difference"] * base_rate).round(2)) if base_rate is not None else df
