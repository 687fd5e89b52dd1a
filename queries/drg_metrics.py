"""DRG validation breakdowns beyond the headline rates of queries.metrics.summary (which holds the DRG
mismatch, ungroupable, MCE edit, CC/MCC capture and single-CC/MCC rates and the case-mix index): MCE edits
by type, DRG shifts from audits and from the grouper, capture by DRG family, and the single-CC/MCC claims.
Formulas: docs/METRICS.md ("DRG validation"). Never imports streamlit."""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from queries.metrics import Filters, _run
from queries.sql_files import sql
from queries.stats import add_wilson


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


def _dollars(df: pd.DataFrame, base_rate: float | None) -> pd.DataFrame:
    """dollar_effect = weight_difference x base rate; absent without a base rate."""
    return df.assign(dollar_effect=(df["weight_difference"] * base_rate).round(2)) if base_rate is not None else df


def mce_edits(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Per MCE edit: claims with it, inpatient claims in scope, edit_rate with Wilson limits."""
    df = _run(con, "drg_mce_edits", filters)
    return add_wilson(df, "claims", "inpatient_claims", prefix="edit_")


def audit_drg_shifts(con: duckdb.DuckDBPyConnection, filters: Filters, base_rate: float | None = None,
                     limit: int = 20) -> pd.DataFrame:
    """DRG changes from audit findings (billed -> revised), most frequent pairs first."""
    return _dollars(_run(con, "drg_audit_shifts", filters, limit=int(limit)), base_rate)


def mismatch_pairs(con: duckdb.DuckDBPyConnection, filters: Filters, base_rate: float | None = None,
                   limit: int = 20) -> pd.DataFrame:
    """Billed DRG against the grouped DRG where they differ, most frequent pairs first."""
    return _dollars(_run(con, "drg_mismatch_pairs", filters, limit=int(limit)), base_rate)


def families(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """CC/MCC capture per DRG family split by severity, with Wilson limits (capture_ci_low/high), and the
    single-CC/MCC share of the captured claims."""
    df = _run(con, "drg_families", filters)
    df = add_wilson(df, "cc_mcc_captured", "claims", prefix="capture_")
    return df.assign(single_cc_mcc_share=df["single_cc_mcc_claims"] / df["cc_mcc_captured"].where(df["cc_mcc_captured"] > 0))


def single_cc_mcc_claims(con: duckdb.DuckDBPyConnection, filters: Filters, limit: int = 1000) -> pd.DataFrame:
    """The claims whose DRG rests on a single CC or MCC, newest first (pseudonymous claim keys; age 90+)."""
    return _run(con, "drg_single_cc_mcc_claims", filters, limit=int(limit))
