"""The table behind every chart, and its CSV download: small cells suppressed, every export logged first
(the rules and the event are audit/exports.py; this module draws and wires them).

Exports use Streamlit's deferred download: the file is produced only when the user clicks, in a worker
thread, and the producer appends the `export` event to the access log *before* it builds the file. If
the log cannot be written the producer raises, the browser shows the failure, and no file is sent.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_integer_dtype, is_numeric_dtype

from audit import exports
from audit.events import AccessEvent
from audit.log.writer import AccessLog
from audit.permissions import Permission, can
from queries.metrics import LABELS
from views import filters, session

_PERCENT_HINTS = ("rate", "accuracy", "share", "ci_low", "ci_high", "lower95", "upper95", "lower998", "upper998",
                  "center", "ucl", "lcl", "target", "limit")
_MONEY_HINTS = ("amount", "impact", "overpaid", "underpaid")


def logged(build: Callable[[], bytes], event: AccessEvent, log: AccessLog,
           session_check: Callable[[], None]) -> Callable[[], bytes]:
    """A deferred download producer that re-checks the session (`session_check`, session.download_check():
    idle limit, account, demo) at the moment of the click, records `event` durably and only then builds the
    file. Runs in Streamlit's worker thread, so it uses only what it captured (no session state)."""

    def produce() -> bytes:
        session_check()
        log.append(event)
        return build()

    return produce


def export_producer(
    df: pd.DataFrame,
    *,
    name: str,
    who: session.SignedIn,
    log: AccessLog,
    details: dict[str, Any],
    include_small_cells: bool,
    session_check: Callable[[], None],
    counts: Sequence[str] | None = None,
) -> Callable[[], bytes]:
    """The deferred producer of one aggregate CSV: re-checks the session, records the export, then builds the file."""
    frame = df.copy()
    event = exports.export_event(who.user, who.role_name, name, len(frame), details, include_small_cells=include_small_cells)
    return logged(lambda: exports.publishable_csv(frame, include_small_cells=include_small_cells, counts=counts), event, log,
                  session_check)


HEADERS = {"code_dotted": "Code", "dx_codes": "Diagnosis codes", "unspecified_dx": "Unspecified codes",
           "invalid_dx": "Invalid codes", "coder_id": "Coder", "facility_id": "Facility", "carc": "CARC"}


def pretty(column: str) -> str:
    """'code_accuracy_ci_low' -> 'Code accuracy, 95% CI low'."""
    if column in HEADERS:
        return HEADERS[column]
    for suffix, words in (("_ci_low", "95% CI low"), ("_ci_high", "95% CI high")):
        if column.endswith(suffix):
            return f"{pretty(column[: -len(suffix)])}, {words}"
    return LABELS.get(column) or column.replace("_", " ").capitalize()


def column_config(df: pd.DataFrame) -> dict[str, Any]:
    """Readable headers, percentages for proportions, dollars for amounts, separators for counts."""
    config: dict[str, Any] = {}
    for column in df.columns:
        label = pretty(str(column))
        dtype = df[column].dtype
        if is_datetime64_any_dtype(dtype):
            config[column] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        elif is_bool_dtype(dtype) or not is_numeric_dtype(dtype):
            config[column] = st.column_config.Column(label)
        elif any(hint in str(column) for hint in _MONEY_HINTS):
            config[column] = st.column_config.NumberColumn(label, format="dollar")
        elif not is_integer_dtype(dtype) and any(hint in str(column) for hint in _PERCENT_HINTS):
            config[column] = st.column_config.NumberColumn(label, format="percent")
        else:
            config[column] = st.column_config.NumberColumn(label, format="localized")
    return config


def csv_download(df: pd.DataFrame, name: str, *, counts: Sequence[str] | None = None) -> None:
    """A CSV download of an aggregate, if the role may export: counts 1-10 suppressed unless the role may
    publish them and the user ticks the box. `name` must be unique on the page."""
    who = session.current()
    if not can(who.role, Permission.EXPORT_AGGREGATE_CSV):
        return
    include_small = False
    if can(who.role, Permission.EXPORT_SMALL_CELLS):
        include_small = st.checkbox(
            "Include counts from 1 to 10 in the CSV", key=f"small.{name}",
            help="Counts from 1 to 10 are left blank by default (CMS cell-size rule). Include them only for a use "
                 "that allows it, such as a sample report to the organisation that was audited.",
        )
    else:
        st.caption("Counts from 1 to 10 are left blank in the CSV (CMS cell-size rule).")
    producer = export_producer(
        df, name=name, who=who, log=session.access_log(),
        details={"filters": filters.describe(filters.current())}, include_small_cells=include_small,
        session_check=session.download_check(), counts=counts,
    )
    st.download_button(
        "Download CSV", data=producer, file_name=f"{name}-{date.today():%Y%m%d}.csv", mime="text/csv",
        key=f"csv.{name}", on_click="ignore", icon=":material/download:",
    )


@st.fragment
def table_and_csv(df: pd.DataFrame, name: str, title: str, *, counts: Sequence[str] | None = None) -> None:
    """The figures behind a chart with their CSV download, drawn only when asked for: a page opens without
    sending its tables to the browser, and the toggle reruns this fragment alone."""
    session.activity()
    if st.toggle(f"Table and CSV: {title}", key=f"table.{name}"):
        st.dataframe(df, hide_index=True, column_config=column_config(df))
        csv_download(df, name, counts=counts)
