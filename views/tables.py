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
from queries import formats
from queries.metrics import LABELS
from queries.words import in_words
from views import filters, session


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
    purpose: exports.ExportPurpose | str,
    session_check: Callable[[], None],
    include_small_cells: bool = False,
    counts: Sequence[str] | None = None,
) -> Callable[[], bytes]:
    """The deferred producer of one aggregate CSV for `purpose`: re-checks the session, records the export (with
    its purpose and whether small cells were included), then builds the file, blanking small cells where
    audit/exports.py says so."""
    frame = df.copy()
    included = not exports.suppresses(who.role, purpose, include_small_cells)
    event = exports.export_event(who.user, who.role_name, name, len(frame), details, include_small_cells=included,
                                 purpose=purpose)
    return logged(lambda: exports.publishable_csv(frame, include_small_cells=included, counts=counts), event, log,
                  session_check)


HEADERS = {"code_dotted": "Code", "dx_codes": "Diagnosis codes", "unspecified_dx": "Unspecified codes",
           "invalid_dx": "Invalid codes", "coder_id": "Coder", "facility_id": "Facility", "carc": "CARC",
           "carcs": "CARCs", "drg": "DRG", "procedure_code": "Principal procedure", "review_id": "Review",
           "auditor_id": "Auditor", "ucl": "Upper limit", "lcl": "Lower limit", "in_runs": "Counted in runs",
           "p_value": "Change p-value", "grp": "Group", "broad": "Broad reason"}


def pretty(column: str) -> str:
    """'code_accuracy_ci_low' -> 'Code accuracy, 95% CI low'."""
    if column in HEADERS:
        return HEADERS[column]
    for suffix, words in (("_ci_low", "95% CI low"), ("_ci_high", "95% CI high")):
        if column.endswith(suffix):
            return f"{pretty(column[: -len(suffix)])}, {words}"
    return LABELS.get(column) or column.replace("_", " ").capitalize()


def _kind(column: str, dtype: Any) -> str:
    """How a column is shown: date, text, money, percent (a proportion), percent value (already times 100),
    percentile (a rank from 0 to 100) or number."""
    if is_datetime64_any_dtype(dtype):
        return "date"
    if is_bool_dtype(dtype) or not is_numeric_dtype(dtype):
        return "text"
    if formats.is_money(column):
        return "money"
    if formats.is_percentile(column):
        return "percentile"
    if formats.is_percent_value(column):
        return "percent value"
    if not is_integer_dtype(dtype) and formats.is_percent(column):
        return "percent"
    return "number"


def _as_text(kind: str, value: Any) -> str:
    """A number as its column shows it, for a column holding blanks ('–'; a table would print 'None')."""
    if pd.isna(value):
        return formats.MISSING
    if kind == "money":
        return formats.dollars(value)
    if kind == "percent":
        return formats.percent(value)
    if kind == "percent value":
        return formats.percent_value(value)
    if kind == "percentile":
        return formats.percentile(value)
    return f"{value:,}" if float(value).is_integer() else f"{value:,.4g}"


def displayed(df: pd.DataFrame) -> pd.DataFrame:
    """The frame as a table shows it (queries/formats.py): stored codes in words (queries.words), proportions
    multiplied by 100 for their one-decimal percent format, and numeric columns that hold a blank (a rate with
    nothing counted) as text with a dash, never 'None'."""
    shown = in_words(df)
    for column in shown.columns:
        dtype = shown[column].dtype
        if is_numeric_dtype(dtype) and not is_bool_dtype(dtype) and shown[column].isna().any():
            kind = _kind(str(column), dtype)
            shown[column] = shown[column].map(lambda v, k=kind: _as_text(k, v))
        elif _kind(str(column), dtype) == "percent":
            shown[column] = shown[column] * 100
    return shown


def column_config(df: pd.DataFrame) -> dict[str, Any]:
    """Readable headers, percentages with one decimal, dollars to the cent, separators for counts
    (queries/formats.py), for a frame as `displayed` returns it (proportions already multiplied by 100)."""
    config: dict[str, Any] = {}
    shown_as = {"money": "dollar", "percent": formats.TABLE_PERCENT, "percent value": formats.TABLE_PERCENT,
                "percentile": formats.TABLE_PERCENTILE, "number": "localized"}
    for column in df.columns:
        label = pretty(str(column))
        kind = _kind(str(column), df[column].dtype)
        if kind == "date":
            config[column] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        elif kind == "text":
            config[column] = st.column_config.Column(label)
        else:
            config[column] = st.column_config.NumberColumn(label, format=shown_as[kind])
    return config


def csv_download(df: pd.DataFrame, name: str, *, counts: Sequence[str] | None = None) -> None:
    """A CSV download of an aggregate, if the role may export. The user says where the file goes: inside the
    organisation it carries the numbers shown on screen; leaving it, counts 1-10 are blanked unless the role
    may publish them and the user ticks the box (audit/exports.py). `name` must be unique on the page."""
    who = session.current()
    if not can(who.role, Permission.EXPORT_AGGREGATE_CSV):
        return
    purpose = st.radio("This CSV is for", list(exports.ExportPurpose), index=None, key=f"purpose.{name}",
                       format_func=exports.PURPOSE_LABELS.get, horizontal=True,
                       help="Counts from 1 to 10 are left blank in a file that leaves the organisation (CMS cell-size "
                            "rule); inside it, the file holds what this page shows. The purpose is recorded with the export.")
    include_small = False
    if purpose is exports.ExportPurpose.EXTERNAL:
        if can(who.role, Permission.EXPORT_SMALL_CELLS):
            include_small = st.checkbox(
                "Include counts from 1 to 10 in the CSV", key=f"small.{name}",
                help="Include them only for a use that allows it, such as a sample report to the organisation that "
                     "was audited.")
        else:
            st.caption("Counts from 1 to 10 are left blank in this CSV (CMS cell-size rule).")
    producer = export_producer(
        formats.file_ready(in_words(df)), name=name, who=who, log=session.access_log(),
        details={"filters": filters.describe(filters.current())}, purpose=purpose or exports.ExportPurpose.EXTERNAL,
        session_check=session.download_check(), include_small_cells=include_small, counts=counts,
    )
    st.download_button(
        "Download CSV", data=producer, file_name=f"{name}-{date.today():%Y%m%d}.csv", mime="text/csv",
        key=f"csv.{name}", on_click="ignore", icon=":material/download:", disabled=purpose is None,
        help=None if purpose else "Say first where the file goes.",
    )


@st.fragment
def table_and_csv(df: pd.DataFrame, name: str, title: str, *, counts: Sequence[str] | None = None) -> None:
    """The figures behind a chart with their CSV download, drawn only when asked for: a page opens without
    sending its tables to the browser, and the toggle reruns this fragment alone."""
    session.activity()
    if st.toggle(f"Table and CSV: {title}", key=f"table.{name}"):
        grid(df)
        csv_download(df, name, counts=counts)


def grid(df: pd.DataFrame, **options: Any) -> Any:
    """A table as people read it (`displayed`), with readable headers and formats."""
    shown = displayed(df)
    return st.dataframe(shown, hide_index=True, column_config=column_config(shown), **options)
