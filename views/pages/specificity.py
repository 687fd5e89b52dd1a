"""Specificity: unspecified and invalid ICD-10-CM diagnosis codes by chapter, block, coder and facility,
the unspecified codes used most with their more specific alternatives, and the invalid codes submitted."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from queries import metrics
from queries.metrics import LABELS
from views import charts, filters, kpis, session, tables, trends
from views.targets import configured

RATES = ("unspecified_rate", "invalid_code_rate", "laterality_unspecified_rate")
LEVELS = {"chapter": "ICD-10-CM chapter", "block": "ICD-10-CM block", "coder": "coder", "facility": "facility"}
CODE_SET_LEVELS = ("chapter", "block")
MOST_GROUPS = 30


def _heading(level: str, code: str, title: object) -> str:
    """'Ch. 13 Diseases of the musculoskeletal system…': the official title, short enough for an axis."""
    if not isinstance(title, str):
        return code
    short = title if len(title) <= 48 else title[:47].rstrip() + "…"
    return f"Ch. {code} {short}" if level == "chapter" else f"{code} {short}"


def _codes_text(codes: object) -> str:
    """'M46.01, M46.02, ...'; blank where the category holds no more specific code (the list is missing,
    which DuckDB hands over as pd.NA, not None)."""
    return "" if pd.api.types.is_scalar(codes) else ", ".join(codes)


def by_level(scope: metrics.Filters, level: str) -> pd.DataFrame:
    groups = session.query(metrics.specificity_by, scope, level).copy()
    if level in CODE_SET_LEVELS:
        groups[level] = [_heading(level, c, t) for c, t in zip(groups[level], groups["title"], strict=True)]
    return groups.drop(columns=["title"])


def breakdown_section(scope: metrics.Filters, targets: dict) -> None:
    st.subheader("Where unspecified and invalid codes occur")
    level = st.radio("Break down by", list(LEVELS), format_func=lambda key: LEVELS[key][:1].upper() + LEVELS[key][1:],
                     key="specificity.level", horizontal=True)
    groups = by_level(scope, level)
    if groups.empty:
        st.info("No diagnosis codes in this scope.")
        return
    shown = groups.nlargest(MOST_GROUPS, "dx_codes") if len(groups) > MOST_GROUPS else groups
    if len(shown) < len(groups):
        st.caption(f"The {MOST_GROUPS} groups with most diagnosis codes; the table holds all {len(groups)}.")
    unspecified, invalid = targets["unspecified_rate"], targets["invalid_code_rate"]
    coded = shown[~shown[level].str.startswith("(")]  # codes outside the code set cannot be unspecified
    unspecified_chart = charts.target_line(charts.rate_bars(
        coded, level, "unspecified_rate", "unspecified_ci_low", "unspecified_ci_high",
        f"Unspecified code rate by {LEVELS[level]} (target {unspecified.describe()}, green line)", hover_count="dx_codes",
    ), unspecified)
    if level in CODE_SET_LEVELS:  # invalid codes have no chapter or block: their rate by chapter says nothing
        charts.show(unspecified_chart, key="specificity-unspecified")
    else:
        left, right = st.columns(2)
        with left:
            charts.show(unspecified_chart, key="specificity-unspecified")
        with right:
            charts.show(charts.target_line(charts.rate_bars(
                shown, level, "invalid_code_rate", None, None,
                f"Invalid code rate by {LEVELS[level]} (target {invalid.describe()}, green line)", hover_count="dx_codes",
            ), invalid), key="specificity-invalid")
    st.caption("Bars: share of submitted diagnosis codes, with 95% intervals. Unspecified means the official title says "
               "so (a trailing .9 does not); invalid means not a billable ICD-10-CM code (listed further down).")
    tables.table_and_csv(groups, f"specificity-by-{level}", f"specificity by {LEVELS[level]}")


def codes_section(scope: metrics.Filters) -> None:
    st.subheader("Unspecified codes used most, with more specific alternatives")
    top = session.query(metrics.top_unspecified, scope, 20)
    if top.empty:
        st.info("No unspecified codes in this scope.")
    else:
        top = top.assign(examples=top["examples"].map(_codes_text))
        shown = top[["code_dotted", "description", "uses", "specific_alternatives", "examples"]]
        charts.show(charts.labelled_bars(shown.head(12), "code_dotted", "uses", "Most used unspecified codes",
                                         money=False, text=shown.head(12)["description"]), key="specificity-top")
        tables.grid(shown)
        with st.expander("CSV: unspecified codes used most"):
            tables.csv_download(shown, "top-unspecified", counts=["uses"])
    st.subheader("Invalid codes submitted")
    invalid = session.query(metrics.invalid_codes, scope)
    if invalid.empty:
        st.success("Every submitted diagnosis code in this scope is a billable ICD-10-CM code.")
        return
    tables.grid(invalid)
    with st.expander("CSV: invalid codes"):
        tables.csv_download(invalid, "invalid-codes")


def render() -> None:
    scope = filters.current()
    st.title("Specificity")
    found = kpis.headline(scope, "dx_codes", "diagnosis codes")
    if found is None:
        return
    now, before, _ = found
    st.caption(f"{filters.sentence(scope)} · {int(now['dx_codes']):,} diagnosis codes on {int(now['claims']):,} claims.")
    targets = configured()
    kpis.tiles(RATES, kpis.kpi_table(RATES, now, before, targets), now, before, targets)
    chart = trends.p_chart(scope, "unspecified_rate")
    charts.show(charts.p_chart(chart, f"{LABELS['unspecified_rate']} by month, with 3-sigma control limits",
                               targets["unspecified_rate"]), key="specificity-trend")
    tables.table_and_csv(chart, "unspecified-by-month", "unspecified code rate by month")
    breakdown_section(scope, targets)
    codes_section(scope)


render()
