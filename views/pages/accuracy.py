"""Accuracy and error trends: is a change real (p-chart), which coders differ from the target by more than
chance (funnel plot, scorecards with Wilson intervals), which errors dominate (Pareto, coder by category),
what a coder's findings are (pseudonymous claim keys only), and what the errors cost."""
from __future__ import annotations

import streamlit as st

from audit.permissions import Permission, can
from queries import metrics
from queries.formats import percent
from queries.metrics import LABELS
from queries.stats import p_chart_signals
from queries.words import in_words
from views import charts, filters, palette, session, tables, trends
from views.targets import configured
from views.text import md

ACCURACY_RATES = ("code_accuracy", "claim_accuracy", "drg_accuracy", "principal_dx_accuracy")
HEATMAP_CODERS = 20
_CODER, _LAST_ROW = "accuracy.coder", "accuracy.selected_row"


def trend_section(scope: metrics.Filters, targets: dict) -> None:
    st.subheader("Accuracy by month")
    rate = st.radio("Measure", ACCURACY_RATES, format_func=LABELS.get, key="accuracy.measure", horizontal=True)
    chart = trends.p_chart(scope, rate)
    if not chart["totals"].any():
        st.info(f"Nothing was audited for {LABELS[rate].lower()} in this scope.")
        return
    charts.show(charts.p_chart(chart, f"{LABELS[rate]} by month, with 3-sigma control limits", targets.get(rate)),
                key="accuracy-pchart")
    st.caption(charts.P_CHART_CAPTION)
    for signal in p_chart_signals(chart, metrics.RATES[rate].higher_is_better):
        st.warning(f"{signal.period}: {signal.label}, {signal.direction} than usual ({percent(signal.rate)} against "
                   f"{percent(signal.limit)}).")
    tables.table_and_csv(chart, "accuracy-by-month", f"{LABELS[rate].lower()} by month")


def coder_section(scope: metrics.Filters, target: float) -> None:
    st.subheader("Coders against the target")
    groups = session.query(metrics.coder_funnel, scope, target=target)
    if groups.empty:
        st.info("No coder has audited codes in this scope.")
        return
    charts.show(charts.funnel(groups, target, f"Code accuracy by coder against the {target * 100:g}% target"), key="accuracy-funnel")
    st.caption("A coder outside the dashed 99.8% limits differs from the target by more than chance (act); outside "
               "the dotted 95% limits, watch. Inside, the audit cannot tell the coder from the target: audit more "
               "before concluding. Coders outside the 95% limits are named.")
    tables.table_and_csv(groups, "coder-funnel", "coders against the target")

    st.subheader("Coder scorecards")
    cards = session.query(metrics.coder_scorecards, scope)
    picked = tables.grid(cards, key="accuracy.cards", on_select="rerun", selection_mode="single-row")
    st.caption("Worst code accuracy first; the 95% interval is Wilson's. Select a row to see that coder's findings.")
    with st.expander("CSV: coder scorecards"):
        tables.csv_download(cards, "coder-scorecards")
    if can(session.current().role, Permission.VIEW_METRIC_DETAIL):
        findings_section(scope, cards["coder_id"].tolist(), picked.selection.rows)


def findings_section(scope: metrics.Filters, coders: list[str], selected_rows: list[int]) -> None:
    st.subheader("Findings of one coder")
    row = selected_rows[0] if selected_rows else None
    if row is not None and st.session_state.get(_LAST_ROW) != row:  # a newly selected scorecard row picks the coder
        st.session_state[_CODER] = coders[row]
    st.session_state[_LAST_ROW] = row
    coder = st.selectbox("Coder", coders, key=_CODER)
    findings = session.query(metrics.coder_findings, scope, coder)
    if findings.empty:
        st.info(f"Coder {md(coder)} has no audit findings in this scope.")
        return
    errors = findings[findings["finding"] != "agree"]
    st.caption(f"{len(findings):,} findings (DRG findings included), {len(errors):,} of them errors. Claims appear by "
               "pseudonymous claim key only; an auditor can reveal identifiers on the Record review page, which is logged.")
    tables.grid(findings)


def error_sections(scope: metrics.Filters, monthly) -> None:
    st.subheader("Errors by category")
    pareto = session.query(metrics.error_pareto, scope)
    if pareto.empty:
        st.info("No audit errors in this scope.")
    else:
        readable = in_words(pareto)
        by_count, by_dollars = st.columns(2)
        with by_count:
            charts.show(charts.pareto(readable, "error_category", "errors", "cumulative_share",
                                      "Audit errors by category: by count", "errors"), key="accuracy-pareto")
        with by_dollars:
            ranked = readable.sort_values(["dollars", "error_category"], ascending=[False, True])
            charts.show(charts.pareto(ranked, "error_category", "dollars", "dollar_cumulative_share",
                                      "Audit errors by category: by dollars at stake", "dollars", money=True),
                        key="accuracy-pareto-dollars")
        st.caption("Left, the number of errors; right, the dollars they moved, overpaid and underpaid alike "
                   "(the sum of each finding's impact, sign ignored). A category can be rare and costly: compare "
                   "its bar in the two charts.")
        tables.table_and_csv(pareto, "error-pareto", "errors by category")

    st.subheader("Coder by error category")
    by_coder = session.query(metrics.coder_category, scope)
    if by_coder.empty:
        st.info("No audit errors in this scope.")
    else:
        readable = in_words(by_coder)
        matrix = readable.pivot_table(index="coder_id", columns="error_category", values="error_rate", aggfunc="sum")
        worst = matrix.sum(axis=1).sort_values(ascending=False).index[:HEATMAP_CODERS]
        charts.show(charts.heatmap(matrix.loc[worst], f"Error rate by category: the {len(worst)} coders with most errors "
                                   "per audited code", "coder"), key="accuracy-heatmap")
        st.caption("Each cell: that coder's errors of one category per code audited. Darker is higher.")
        tables.table_and_csv(by_coder, "coder-by-category", "errors by coder and category")

    st.subheader("Financial impact of audit findings")
    underpaid, overpaid = palette.NAMES[palette.SECOND], palette.NAMES[palette.SIGNAL]
    charts.show(charts.money_by_month(monthly, f"Dollar impact of audit findings by month: underpaid ({underpaid}, up), "
                                               f"overpaid ({overpaid}, down), net (line)"), key="accuracy-money")
    st.caption("Underpaid: the audited coding would have been paid more. Overpaid: it was paid more than the audited "
               "coding supports (a repayment risk). Net is their sum.")
    tables.table_and_csv(monthly[["month", "audited_claims", "findings", "net_impact", "overpaid", "underpaid"]],
                         "financial-impact", "dollar impact by month")


def render() -> None:
    scope = filters.current()
    st.title("Accuracy and error trends")
    now = session.query(metrics.summary, scope).iloc[0]
    if now["findings"] == 0:
        st.info("No audited codes match these filters. Widen the service dates or clear a filter in the sidebar.")
        return
    st.caption(f"{filters.sentence(scope)} · {int(now['audited_claims']):,} audited claims, {int(now['findings']):,} "
               f"audited codes, code accuracy {percent(now['code_accuracy'])}.")
    targets = configured()
    trend_section(scope, targets)
    coder_section(scope, targets["code_accuracy"].value)
    error_sections(scope, trends.monthly(scope))


render()
