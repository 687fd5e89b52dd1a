"""The sidebar filters: one claim scope for every page, kept when the user moves between pages.

Streamlit forgets a widget's value when a page does not draw it, so the values live under their own
session keys (`filters.*`) and the widgets (`flt.*`) are seeded from them on each draw.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import streamlit as st

from queries.metrics import FilterOptions, Filters, months_back
from views.text import md

_CURRENT = "filters.current"
_DATES = "dates"
# Filter field -> (label, FilterOptions attribute)
CHOICES: dict[str, tuple[str, str]] = {
    "facility": ("Facility", "facilities"),
    "payer": ("Payer", "payers"),
    "coder": ("Coder", "coders"),
    "encounter_type": ("Encounter type", "encounter_types"),
}
DEFAULT_MONTHS = 12


def default_range(options: FilterOptions) -> tuple[date, date] | None:
    """The last 12 calendar months of data (to the latest service date): a year-on-year comparable
    period whose previous period of equal length is the year before."""
    if options.max_date is None or options.min_date is None:
        return None
    start = max(options.min_date, months_back(options.max_date, DEFAULT_MONTHS - 1))
    return start, options.max_date


def _seed(name: str, value: Any) -> None:
    canonical, widget = f"filters.{name}", f"flt.{name}"
    st.session_state.setdefault(canonical, value)
    if widget not in st.session_state:
        st.session_state[widget] = st.session_state[canonical]


def _keep(name: str) -> Any:
    st.session_state[f"filters.{name}"] = st.session_state[f"flt.{name}"]
    return st.session_state[f"filters.{name}"]


def reset() -> None:
    for key in list(st.session_state.keys()):
        if str(key).startswith(("filters.", "flt.")):
            del st.session_state[key]


def sidebar(options: FilterOptions) -> Filters:
    """Draw the filters in the sidebar and return the scope they select (also kept for the pages)."""
    st.sidebar.subheader("Filters")
    span = default_range(options)
    date_from = date_to = None
    if span is not None:
        saved = st.session_state.get(f"filters.{_DATES}")
        if saved and not (options.min_date <= saved[0] <= saved[-1] <= options.max_date):
            st.session_state.pop(f"filters.{_DATES}")
            st.session_state.pop(f"flt.{_DATES}", None)
        _seed(_DATES, span)
        picked = st.sidebar.date_input(
            "Service dates",
            key=f"flt.{_DATES}",
            min_value=options.min_date,
            max_value=options.max_date,
            format="YYYY-MM-DD",
            help="Claims whose service date falls in this range, both ends included.",
        )
        if isinstance(picked, (tuple, list)) and len(picked) == 2:
            date_from, date_to = _keep(_DATES)
        else:  # the second date is not picked yet: keep the previous complete range
            date_from, date_to = st.session_state[f"filters.{_DATES}"]
    chosen: dict[str, tuple[str, ...]] = {}
    for name, (label, attribute) in CHOICES.items():
        available = getattr(options, attribute)
        saved = st.session_state.get(f"filters.{name}", [])
        if any(v not in available for v in saved):
            st.session_state[f"filters.{name}"] = [v for v in saved if v in available]
            st.session_state.pop(f"flt.{name}", None)
        _seed(name, [])
        st.sidebar.multiselect(label, available, key=f"flt.{name}", placeholder="All")
        chosen[name] = tuple(_keep(name))
    st.sidebar.button("Reset filters", on_click=reset, width="stretch")
    scope = Filters(date_from=date_from, date_to=date_to, **chosen)
    st.session_state[_CURRENT] = scope
    return scope


def current() -> Filters:
    """The scope the sidebar selected in this run."""
    return st.session_state.get(_CURRENT, Filters())


def describe(filters: Filters) -> dict[str, Any]:
    """The scope as plain JSON values for access-log details (no PHI: dates, facility, payer, coder ids)."""
    out: dict[str, Any] = {}
    if filters.date_from:
        out["date_from"] = filters.date_from.isoformat()
    if filters.date_to:
        out["date_to"] = filters.date_to.isoformat()
    for name in CHOICES:
        if values := getattr(filters, name):
            out[name] = list(values)
    return out


def sentence(filters: Filters) -> str:
    """'Service dates 2025-11-01 to 2026-10-31 · Payer: Medicare' for captions (Markdown; the chosen ids,
    which come from data, as text)."""
    parts = []
    if filters.date_from and filters.date_to:
        parts.append(f"Service dates {filters.date_from:%Y-%m-%d} to {filters.date_to:%Y-%m-%d}")
    for name, (label, _) in CHOICES.items():
        if values := getattr(filters, name):
            parts.append(f"{label}: {', '.join(md(value) for value in values)}")
    return " · ".join(parts) or "All claims"


def trend_window(filters: Filters, months: int = 24) -> Filters:
    """The same scope over the `months` calendar months that end with the selected end date, for trend
    lines that show the selected period in context."""
    if filters.date_to is None:
        return filters
    return replace(filters, date_from=months_back(filters.date_to, months - 1))

