"""The sidebar filters: one claim scope for every page, kept when the user moves between pages.

Streamlit forgets a widget's value when a page does not draw it, so the values live under their own
session keys (`filters.*`) and the widgets (`flt.*`) are seeded from them on each draw.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import streamlit as st

from config import settings
from queries.metrics import CLAIM_FLAGS, FilterOptions, Filters, months_back
from queries.periods import LAST_12_MONTHS, PRESETS, DateProblem, comparison, parse_day, preset_in_store
from views.text import md

_CURRENT = "filters.current"
_DATES = "dates"
_PROBLEM = "filters.date_problem"
CUSTOM = "Custom dates"
# Filter field -> (label, FilterOptions attribute)
CHOICES: dict[str, tuple[str, str]] = {
    "facility": ("Facility", "facilities"),
    "payer": ("Payer", "payers"),
    "coder": ("Coder", "coders"),
    "encounter_type": ("Encounter type", "encounter_types"),
}
PERIOD_HELP = ("Named periods are read on the last service date in the store. The last 12 complete months end with "
               "the last month that has ended by then (its own month once its last day is in); this quarter and this "
               "fiscal year run to that date. Each named period is compared with the same dates a year earlier, "
               "typed dates with the period of equal length just before. The fiscal year starts in the month "
               "CODEAUDIT_FISCAL_YEAR_START names (October unless set).")


def default_range(options: FilterOptions) -> tuple[str, date, date] | None:
    """The period a session opens on and its dates: the last 12 complete months of data, clipped to the
    store's first service date; or, while the store holds no complete month, its whole span as typed dates."""
    if options.max_date is None or options.min_date is None:
        return None
    try:
        return LAST_12_MONTHS, *preset_in_store(LAST_12_MONTHS, options.min_date, options.max_date,
                                                settings.load().fiscal_year_start)
    except DateProblem:
        return CUSTOM, options.min_date, options.max_date


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


def _show(day: date) -> str:
    return f"{day:%Y-%m-%d}"


def _set_dates(first: date, last: date) -> None:
    st.session_state[f"filters.{_DATES}"] = (first, last)
    st.session_state["flt.from"], st.session_state["flt.to"] = _show(first), _show(last)
    st.session_state.pop(_PROBLEM, None)


def _apply_period(options: FilterOptions) -> None:
    """A named period was picked: its dates, clipped to the store's; refused in a sentence when the store
    holds no service date in it (the scope keeps its dates)."""
    name = st.session_state["flt.period"]
    if name == CUSTOM:
        return
    try:
        _set_dates(*preset_in_store(name, options.min_date, options.max_date, settings.load().fiscal_year_start))
    except DateProblem as problem:
        st.session_state[_PROBLEM] = f"{problem} The dates in use are still {' to '.join(map(_show, current_dates()))}."
        st.session_state["flt.period"] = CUSTOM


def _apply_typed(options: FilterOptions) -> None:
    """Dates were typed: accepted in the common forms, or refused with one sentence (the scope keeps its dates)."""
    try:
        first, last = parse_day(st.session_state["flt.from"]), parse_day(st.session_state["flt.to"])
        for day in (first, last):
            if not options.min_date <= day <= options.max_date:
                raise DateProblem(f"{_show(day)} is outside the service dates in the store, {_show(options.min_date)} "
                                  f"to {_show(options.max_date)}.")
        if first > last:
            raise DateProblem(f"The start date {_show(first)} is after the end date {_show(last)}.")
    except DateProblem as problem:
        st.session_state[_PROBLEM] = f"{problem} The dates in use are still {' to '.join(map(_show, current_dates()))}."
        return
    _set_dates(first, last)
    st.session_state["flt.period"] = CUSTOM


def current_dates() -> tuple[date, date]:
    return st.session_state[f"filters.{_DATES}"]


def sidebar(options: FilterOptions) -> Filters:
    """Draw the filters in the sidebar and return the scope they select (also kept for the pages)."""
    st.sidebar.subheader("Filters")
    span = default_range(options)
    date_from = date_to = None
    if span is not None:
        saved = st.session_state.get(f"filters.{_DATES}")
        if saved and not (options.min_date <= saved[0] <= saved[-1] <= options.max_date):
            st.session_state.pop(f"filters.{_DATES}")
            for key in ("flt.period", "flt.from", "flt.to"):
                st.session_state.pop(key, None)
        if f"filters.{_DATES}" not in st.session_state:
            _set_dates(*span[1:])
            st.session_state["flt.period"] = span[0]
        date_from, date_to = current_dates()
        st.session_state.setdefault("flt.period", st.session_state.get("filters.period", span[0]))
        st.session_state.setdefault("flt.from", _show(date_from))
        st.session_state.setdefault("flt.to", _show(date_to))
        st.sidebar.selectbox("Service dates", (*PRESETS, CUSTOM), key="flt.period", on_change=_apply_period,
                             args=(options,), help=PERIOD_HELP)
        st.session_state["filters.period"] = st.session_state["flt.period"]
        left, right = st.sidebar.columns(2)
        left.text_input("From", key="flt.from", on_change=_apply_typed, args=(options,))
        right.text_input("To", key="flt.to", on_change=_apply_typed, args=(options,),
                         help="Both ends included. Type 2026-09-30, 2026/09/30, 09/30/2026 or 30 Sep 2026.")
        if problem := st.session_state.get(_PROBLEM):
            st.sidebar.error(md(problem))
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


def comparison_words() -> str:
    """What the comparison period is, for captions: 'the same dates a year earlier' or 'the period of equal length
    just before'."""
    named = st.session_state.get("filters.period", CUSTOM) in PRESETS
    return "the same dates a year earlier" if named else "the period of equal length just before"


def compared_with(scope: Filters) -> Filters | None:
    """The scope `scope` is compared with under the period chosen in the sidebar (queries.periods.comparison):
    a named period against the same dates a year earlier, typed dates against the equal period just before."""
    return comparison(st.session_state.get("filters.period", CUSTOM), scope)


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
    for name in (*CHOICES, "claim_flags"):
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
    if filters.claim_flags:
        parts.append("Flagged: " + ", ".join(CLAIM_FLAGS[flag] for flag in filters.claim_flags))
    return " · ".join(parts) or "All claims"


def trend_window(filters: Filters, months: int = 24) -> Filters:
    """The same scope over the `months` calendar months that end with the selected end date, for trend
    lines that show the selected period in context."""
    if filters.date_to is None:
        return filters
    return replace(filters, date_from=months_back(filters.date_to, months - 1))

