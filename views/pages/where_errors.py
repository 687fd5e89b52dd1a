"""Where errors concentrate: code-level audit errors by code family (ICD-10-CM chapter, block, category;
ICD-10-PCS section, body system; CPT/HCPCS range; MS-DRG family, MDC), by payer and by facility; which groups
differ from the organisation's rate by more than chance (funnel), which moved since the comparison period
(z-tests with Benjamini-Hochberg correction), and one group's monthly p-chart and findings. Counting rule and
tests: docs/METRICS.md ("Where errors concentrate"); queries/error_families.py computes everything."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.permissions import Permission, can
from queries import error_families as families
from queries.formats import percent
from queries.metrics import Filters
from queries.stats import SMALL_SAMPLE, p_chart_signals
from queries.words import in_words
from views import charts, filters, session, tables
from views.text import md

_LEVEL, _GROUP, _MOVED, _MOVED_ROW = "where.level", "where.group", "where.moved_group", "where.moved_row"


def without_blank_titles(df: pd.DataFrame) -> pd.DataFrame:
    """The frame without its title column where no group has a title (payers, facilities)."""
    return df.drop(columns="title") if "title" in df and not df["title"].astype(bool).any() else df


def groups_section(scope: Filters, level: str, groups: pd.DataFrame) -> None:
    st.subheader("Errors by group")
    st.caption("Code-level findings only, each in the family of its submitted code (of its audited code when the "
               "auditor added it); an error is any finding that is not an agreement. The interval is Wilson's 95%; "
               "overpaid dollars are negative. Most errors first.")
    tables.grid(without_blank_titles(groups))
    counts = [c for c in ("findings", "errors", "claims", "denied_claims", "coding_denied_claims") if c in groups]
    tables.csv_download(groups, f"errors-by-{level}", counts=counts)
    if level in families.DENIAL_LEVELS:
        st.caption("Beside the errors, the claims' denials: denied claims, coding-related denied claims, the denial rate "
                   "and the coding-related denial rate (coding-denied claims per claim). A high error rate with many "
                   "coding denials is the finding to act on.")


def funnel_section(scope: Filters, level: str, groups: pd.DataFrame) -> None:
    st.subheader("Groups against the organisation's error rate")
    funnel, rate = session.query(families.family_funnel, scope, level)
    judged = funnel[funnel["status"] != "small sample"] if len(funnel) else funnel
    titles = funnel["group"].map(dict(zip(groups["group"], groups["title"], strict=True))).fillna("").tolist()
    charts.show(charts.funnel(funnel, rate, f"Error rate by {families.LEVELS[level]} against the organisation's "
                              f"{percent(rate)}", families.LEVELS[level], rate_title="error rate",
                              target_words="overall", items="findings", titles=titles), key="where-funnel")
    outside = judged[judged["status"].str.startswith(("above", "below"))] if len(judged) else judged
    st.caption(f"A group outside the dashed 99.8% limits differs from the organisation's code-level error rate by more "
               f"than chance; outside the dotted 95% limits, watch. {len(outside):,} of {len(judged):,} groups with at "
               f"least {SMALL_SAMPLE} findings lie outside the 95% limits. Groups with fewer findings carry the "
               "small-sample badge: no verdict.")
    tables.table_and_csv(funnel, f"funnel-{level}", "groups against the organisation's rate", counts=["successes", "totals"])


def moved_section(scope: Filters, level: str, detail: bool) -> None:
    st.subheader("What moved")
    before = filters.compared_with(scope)
    if before is None:
        st.info("Choose service dates (or a named period) in the sidebar to compare this period with the one before.")
        return
    moved = session.query(families.what_moved, scope, before, level)
    moved = without_blank_titles(moved)
    significant = moved[moved["significant"]].reset_index(drop=True)
    st.caption(f"This period against {filters.comparison_words()} ({before.date_from:%Y-%m-%d} to {before.date_to:%Y-%m-%d}): "
               f"{families.METHOD}. Largest change first. Groups with fewer than {SMALL_SAMPLE} findings in either "
               "period are not tested (small sample).")
    if significant.empty:
        st.info(f"No {families.LEVELS[level]} changed its error rate by more than chance.")
    else:
        if not detail:
            tables.grid(significant, key="where.moved")
        else:
            picked = tables.grid(significant, key="where.moved", on_select="rerun", selection_mode="single-row")
            st.caption("Select a row, or choose the group below, to see the findings behind its change, in both periods.")
            moved_findings(scope, before, level, significant["group"].tolist(), picked.selection.rows)
    with st.expander("Every group, tested or not"):
        tables.grid(moved)
        tables.csv_download(moved, f"what-moved-{level}", counts=["findings_now", "errors_now", "findings_before",
                                                                   "errors_before"])


def moved_findings(now: Filters, before: Filters, level: str, names: list[str], selected: list[int]) -> None:
    row = selected[0] if selected else None
    if row is not None and st.session_state.get(_MOVED_ROW) != row:  # a newly selected row picks the group
        st.session_state[_MOVED] = names[row]
    st.session_state[_MOVED_ROW] = row
    if st.session_state.get(_MOVED) not in names:
        st.session_state[_MOVED] = names[0]
    group = st.selectbox("Findings behind the change of", names, key=_MOVED)
    both = pd.concat([session.query(families.family_findings, now, level, group).assign(period="current"),
                      session.query(families.family_findings, before, level, group).assign(period="before")],
                     ignore_index=True)
    st.markdown(f"**Findings behind {md(group)}**: {len(both):,} findings, "
                f"{int((both['finding'] != 'agree').sum()):,} of them errors, in this period and the one before.")
    tables.grid(in_words(both), key="where.moved_findings")


def trend_section(scope: Filters, level: str, groups: pd.DataFrame, detail: bool) -> None:
    st.subheader("One group's trend")
    names = groups["group"].tolist()
    if st.session_state.get(_GROUP) not in names:
        st.session_state[_GROUP] = names[0]
    titles = dict(zip(groups["group"], groups["title"], strict=True))
    group = st.selectbox("Group to follow", names, key=_GROUP,
                         format_func=lambda g: f"{g} {titles.get(g) or ''}".strip())
    first, last = scope.date_from, scope.date_to
    chart = session.query(families.family_trend, scope, level, group, first, last)
    if not chart["totals"].any():
        st.info("This group has no findings in these months.")
        return
    charts.show(charts.p_chart(chart, f"Error rate of {group} by month, with 3-sigma control limits"), key="where-trend")
    st.caption(charts.P_CHART_CAPTION)
    for signal in p_chart_signals(chart, higher_is_better=False):
        st.warning(f"{signal.period}: {signal.label}, {signal.direction} than usual ({percent(signal.rate)} against "
                   f"{percent(signal.limit)}).")
    tables.table_and_csv(chart, f"trend-{level}", "error rate by month")
    if detail:
        findings = session.query(families.family_findings, scope, level, group)
        st.caption(f"The {len(findings):,} findings of {md(group)} in this scope, errors first (pseudonymous claim keys "
                   "only; at most 5,000).")
        tables.grid(in_words(findings), key="where.trend_findings")


def render() -> None:
    scope = filters.current()
    st.title("Where errors concentrate")
    level = st.selectbox("Group errors by", list(families.LEVELS), format_func=families.LEVELS.get, key=_LEVEL)
    groups = session.query(families.errors_by, scope, level)
    if groups.empty:
        st.info(f"No audited codes count at the level {families.LEVELS[level]} in these filters. Choose another level, "
                "widen the service dates or clear a filter in the sidebar.")
        return
    st.caption(f"{filters.sentence(scope)} · {len(groups):,} groups, {int(groups['findings'].sum()):,} code-level "
               f"findings, {int(groups['errors'].sum()):,} errors.")
    detail = can(session.current().role, Permission.VIEW_METRIC_DETAIL)
    groups_section(scope, level, groups)
    funnel_section(scope, level, groups)
    moved_section(scope, level, detail)
    trend_section(scope, level, groups, detail)


render()
