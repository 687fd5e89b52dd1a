"""DRG validation: does the billed MS-DRG follow from the submitted codes (the grouper's answer), which
Medicare Code Editor edits fire, where DRGs shift in audits and what the shifts weigh, how often the DRG
rests on a CC or MCC (and on a single one), by coder, facility and DRG family. Formulas: docs/METRICS.md."""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from audit.permissions import Permission, can
from config import settings
from queries import formats, metrics
from queries.drg import metrics as drg_metrics
from queries.drg.grouper import PACKAGE, grouper_versions
from queries.formats import percent
from queries.metrics import CLAIM_FLAGS, LABELS
from queries.stats import p_chart_signals
from views import charts, filters, kpis, session, tables, trends
from views.targets import configured
from views.text import md

RATES = ("drg_mismatch_rate", "ungroupable_rate", "mce_edit_rate", "cc_mcc_capture_rate", "single_cc_mcc_share")
TRENDS = ("drg_mismatch_rate", "mce_edit_rate")
TOP_CODERS = 25
TOP_PAIRS = 15


def cmi_tile(now: pd.Series, before: pd.Series | None) -> None:
    value = now["case_mix_index"]
    delta = None
    if before is not None and not (math.isnan(value) or math.isnan(before["case_mix_index"])):
        delta = f"{value - before['case_mix_index']:+.4f}"
    shown = "–" if math.isnan(value) else f"{value:.4f}"
    st.metric(LABELS["case_mix_index"], shown, delta, delta_color="off", border=True,
              help="Mean relative weight of the billed DRGs of inpatient claims whose DRG has a weight for its discharge's "
                   "fiscal year; blank without weights.")
    st.caption(f"{int(now['weighted_claims']):,} of {int(now['billed_drg_claims']):,} billed DRGs weighted")


def trend_section(scope: metrics.Filters, targets: dict) -> None:
    st.subheader("Mismatch and MCE edits by month")
    monthly = trends.monthly(scope)
    columns = st.columns(len(TRENDS))
    for column, rate in zip(columns, TRENDS, strict=True):
        chart = metrics.control_chart_from(monthly, rate)
        with column:
            if chart.empty:
                st.info(f"No month has a {LABELS[rate].lower()} in this scope.")
                continue
            charts.show(charts.p_chart(chart, f"{LABELS[rate]} by month, with 3-sigma control limits", targets.get(rate)),
                        key=f"drg-{rate}")
            for signal in p_chart_signals(chart, metrics.RATES[rate].higher_is_better):
                st.warning(f"{md(signal.period)}: {signal.label}, {signal.direction} than usual ({percent(signal.rate)} "
                           f"against {percent(signal.limit)}).")
    tables.table_and_csv(monthly[["month", "inpatient_claims", "billed_drg_claims", "drg_mismatches", "drg_mismatch_rate",
                                  "ungroupable_claims", "mce_edit_claims", "mce_edit_rate"]], "drg-by-month", "DRG validation by month")


def edits_section(scope: metrics.Filters) -> None:
    st.subheader("MCE edits by type")
    edits = session.query(drg_metrics.mce_edits, scope)
    if edits.empty:
        st.info("The Medicare Code Editor flagged no inpatient claim in this scope.")
        return
    charts.show(charts.rate_bars(edits, "edit", "edit_rate", "edit_ci_low", "edit_ci_high",
                                 "Inpatient claims with each MCE edit, with 95% intervals"), key="drg-edits")
    st.caption("Each bar: inpatient claims with that edit, of all inpatient claims in scope (a claim may have several).")
    tables.table_and_csv(edits, "drg-mce-edits", "MCE edits by type")


def shift_summary(shifts: drg_metrics.DrgShifts, what: str) -> str:
    """'3 claims ..., 2 of them with both weights known: net weight change +0.4000 (+$2,600).' (counts and
    figures from the store, formatted here: no text from data)."""
    text = f"{shifts.changes:,} {what}, {shifts.weighted:,} of them with both weights known"
    if shifts.weight_difference is None:
        return text + "."
    text += f": net weight change {shifts.weight_difference:+.4f}"
    if shifts.dollar_impact is None:
        return text + "."
    return text + f" ({formats.signed_dollars(shifts.dollar_impact)})."


def shift_pairs(shifts: drg_metrics.DrgShifts, to: str, count: str, title: str, key: str, csv_title: str) -> None:
    """The most frequent billed -> `to` pairs as bars (DRG codes from data: plotly draws them as text), and the table."""
    pairs = shifts.pairs.head(TOP_PAIRS)
    pairs = pairs.assign(pair=pairs["billed_drg"] + " → " + pairs[to])
    charts.show(charts.labelled_bars(pairs, "pair", count, title, money=False), key=key)
    tables.table_and_csv(shifts.pairs, key, csv_title)


def shifts_section(scope: metrics.Filters, base_rate: float | None, weights: drg_metrics.WeightsSource) -> None:
    st.subheader("DRG shifts")
    dollars = (f" Dollars: weight change times the base rate {formats.dollars(base_rate)} (CODEAUDIT_DRG_BASE_RATE)."
               if base_rate is not None and weights.weights else
               " Without weights and a base rate (CODEAUDIT_DRG_BASE_RATE) no dollars are shown." if not weights.weights else
               " No base rate is set (CODEAUDIT_DRG_BASE_RATE), so no dollars are shown.")
    st.caption(md(weights.describe()) + dollars)
    grouped = session.query(drg_metrics.mismatch_pairs, scope, base_rate)
    st.markdown("**Billed DRG against the DRG the submitted codes group to**")
    if grouped.pairs.empty:
        st.success("Every billed DRG in this scope is the DRG its codes group to.")
    else:
        st.caption(shift_summary(grouped, "claims whose billed DRG differs from the grouped one") +
                   " Grouped minus billed: a negative change is billed above what the codes support (999: the codes "
                   "cannot be grouped).")
        shift_pairs(grouped, "grouped_drg", "claims", f"Billed → grouped DRG: the {min(TOP_PAIRS, len(grouped.pairs))} most frequent pairs",
                    "drg-mismatch-pairs", "billed against grouped DRG")
    audits = session.query(drg_metrics.audit_drg_shifts, scope, base_rate)
    st.markdown("**DRG revised by audits**")
    if audits.pairs.empty:
        st.info("No audit revised a DRG in this scope.")
    else:
        st.caption(shift_summary(audits, "DRG findings that revise the DRG") + " Revised minus billed.")
        shift_pairs(audits, "revised_drg", "findings", f"Billed → revised DRG: the {min(TOP_PAIRS, len(audits.pairs))} most frequent pairs",
                    "drg-audit-shifts", "DRG shifts from audits")


def capture_section(scope: metrics.Filters, detail: bool) -> None:
    st.subheader("CC/MCC capture by coder and facility")
    st.caption("Capture: of the claims grouped into a DRG family split by CC/MCC severity, the share whose DRG rests on a "
               "secondary diagnosis of CC or MCC severity. Single CC/MCC: of the claims whose DRG rests on one, the share "
               "with exactly one such diagnosis (PEPPER's target: a high share is an audit risk).")
    columns = ["severity_split_claims", "cc_mcc_captured", "cc_mcc_capture_rate", "cc_mcc_capture_rate_ci_low",
               "cc_mcc_capture_rate_ci_high", "cc_mcc_claims", "single_cc_mcc_claims", "single_cc_mcc_share"]
    levels = (("coder", "coder_id"), ("facility", "facility_id")) if detail else (("facility", "facility_id"),)
    for level, key in levels:
        groups = session.query(metrics.summary, scope, level)
        groups = groups[groups["severity_split_claims"] > 0]
        if groups.empty:
            continue
        shown = groups.nlargest(TOP_CODERS, "severity_split_claims") if level == "coder" else groups
        charts.show(charts.rate_bars(shown, key, "cc_mcc_capture_rate", "cc_mcc_capture_rate_ci_low", "cc_mcc_capture_rate_ci_high",
                                     f"CC/MCC capture rate by {level}" + (f" (the {len(shown)} with most claims)"
                                                                          if len(shown) < len(groups) else "")),
                    key=f"drg-capture-{level}")
        tables.table_and_csv(groups[[key, *columns]], f"drg-capture-{level}", f"CC/MCC capture by {level}")
    if not detail:
        st.caption("Coder-level figures are for compliance officers and coding managers.")
    families = session.query(drg_metrics.families, scope)
    if not families.empty:
        tables.table_and_csv(families, "drg-capture-families", "CC/MCC capture by DRG family")


def single_cc_mcc_section(now: pd.Series) -> None:
    st.subheader("Claims whose DRG rests on a single CC or MCC")
    st.caption(f"{int(now['single_cc_mcc_claims']):,} of {int(now['cc_mcc_claims']):,} claims whose DRG rests on a CC or MCC "
               f"have exactly one secondary diagnosis of CC or MCC severity ({percent(now['single_cc_mcc_share'])}): "
               "PEPPER's single-CC/MCC target, where one unsupported code moves the payment. By DRG family in the "
               "capture table above; the claims themselves below.")


def claims_section(scope: metrics.Filters, base_rate: float | None, detail: bool) -> None:
    st.subheader("Claims behind these figures")
    if not detail:
        st.caption("The claims are listed for compliance officers and coding managers; an auditor reaches them through "
                   "a sample.")
        return
    flag = st.radio("Claims", list(CLAIM_FLAGS), format_func=CLAIM_FLAGS.get, index=list(CLAIM_FLAGS).index("single_cc_mcc"),
                    key="drg.flag", horizontal=True)
    claims = session.query(drg_metrics.flagged_claims, scope, flag, base_rate)
    if claims.empty:
        st.info(f"No inpatient claim in this scope: {CLAIM_FLAGS[flag].lower()}.")
        return
    st.dataframe(claims, hide_index=True, column_config=tables.column_config(claims))
    st.caption(f"{len(claims):,} claims, newest first (at most {drg_metrics.CLAIMS_SHOWN:,}), by pseudonymous claim key; an "
               "auditor can reveal identifiers on the Record review page, which is logged. CC/MCC codes in line order, * where "
               "the code moved the final DRG. Ages over 89 show as 90+.")


def render() -> None:
    scope = filters.current()
    st.title("DRG validation")
    found = kpis.headline(scope, "inpatient_claims", "inpatient claims")
    if found is None:
        return
    now, before, _ = found
    versions = grouper_versions()
    st.caption(f"{filters.sentence(scope)} · {int(now['inpatient_claims']):,} inpatient claims, "
               f"{int(now['billed_drg_claims']):,} with a billed DRG. Grouped with {PACKAGE} ({versions[0].label} to "
               f"{versions[-1].label}) by discharge date; claims discharged outside {versions[0].first_day:%Y-%m-%d} to "
               f"{versions[-1].last_day:%Y-%m-%d} are not grouped.")
    targets = configured()
    table = kpis.kpi_table(RATES, now, before, targets)
    slots = st.columns(3)
    for i, rate in enumerate(RATES):
        with slots[i % 3]:
            kpis.rate_tile(table.loc[rate], rate, targets.get(rate))
    with slots[len(RATES) % 3]:
        cmi_tile(now, before)
    detail = can(session.current().role, Permission.VIEW_METRIC_DETAIL)
    trend_section(scope, targets)
    edits_section(scope)
    base_rate = settings.load().drg_base_rate
    shifts_section(scope, base_rate, session.query(drg_metrics.weights_source))
    capture_section(scope, detail)
    single_cc_mcc_section(now)
    claims_section(scope, base_rate, detail)


render()
