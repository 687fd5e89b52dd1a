"""Denials: rate and dollars over time, coding-related against other reasons, by payer and by claim
adjustment reason code (with our descriptions), and what appeals achieved."""
from __future__ import annotations

import streamlit as st

from queries import metrics
from queries.metrics import LABELS
from views import charts, filters, kpis, palette, session, tables, trends
from views.targets import configured

TILES = ("denial_rate", "denied_amount", "coding_denial_share", "appeal_overturn_rate")
RATES = ("denial_rate", "coding_denial_share", "appeal_overturn_rate")
TOP_CARCS = 15


def over_time(scope: metrics.Filters, targets: dict) -> None:
    st.subheader("Over time")
    monthly = trends.monthly(scope)
    chart = trends.p_chart(scope, "denial_rate", monthly)
    left, right = st.columns(2)
    with left:
        charts.show(charts.p_chart(chart, "Denial rate by month (share of claims), with 3-sigma limits",
                                   targets["denial_rate"]), key="denials-rate")
    with right:
        charts.show(charts.month_bars(monthly, "month", "denied_amount", "Denied dollars by month"), key="denials-dollars")
    split = monthly.assign(other_denied_claims=monthly["denied_claims"] - monthly["coding_denied_claims"])
    charts.show(charts.stacked_area(split, "month", [("coding_denied_claims", "coding-related", palette.CODING),
                                                     ("other_denied_claims", "other reasons", palette.OTHER)],
                                    "Denied claims by month: coding-related and other reasons"), key="denials-split")
    tables.table_and_csv(split[["month", "claims", "denied_claims", "coding_denied_claims", "other_denied_claims",
                                "denial_rate", "denied_amount", "coding_denial_share"]], "denials-by-month", "denials by month")


def by_reason(scope: metrics.Filters) -> None:
    st.subheader("By payer")
    payers = session.query(metrics.payer_denials, scope)
    payers = payers.assign(other_denied_amount=payers["denied_amount"] - payers["coding_denied_amount"])
    charts.show(charts.split_bars(payers, "payer", [("coding_denied_amount", "coding-related", palette.CODING),
                                                    ("other_denied_amount", "other", palette.OTHER)],
                                  "Denied dollars by payer: coding-related and other reasons"), key="denials-payer")
    tables.table_and_csv(payers, "denials-by-payer", "denials by payer")

    st.subheader("By claim adjustment reason code (CARC)")
    carcs = session.query(metrics.carc_pareto, scope)
    top = carcs.head(TOP_CARCS).assign(
        reason=lambda d: "CARC " + d["carc"] + ": " + d["description"].str.slice(0, 60),
        kind=lambda d: d["coding_related"].map({True: "coding-related", False: "other reason"}),
    )
    charts.show(charts.labelled_bars(top, "reason", "denied_amount",
                                     f"Denied dollars by reason: the {len(top)} largest (pink: coding-related)",
                                     color_by=top["coding_related"].map({True: palette.CODING, False: palette.OTHER}),
                                     text=top["kind"]), key="denials-carc")
    st.caption("Descriptions are ours (data/reference/carc.csv), which also says which codes count as coding-related.")
    tables.table_and_csv(carcs, "denials-by-carc", "denials by reason code")


def appeals(scope: metrics.Filters) -> None:
    st.subheader("Appeals")
    funnel = session.query(metrics.appeal_funnel, scope)
    if int(funnel["denial_rows"].iloc[0]) == 0:
        st.info("No denials in this scope, so no appeals.")
        return
    charts.show(charts.stage_funnel(funnel, "stage", "denial_rows",
                                    "From denial to appeal outcome (denied adjustments)"), key="denials-appeals")
    st.caption("Appealed: an appeal status is recorded; decided: overturned or upheld (pending excluded); "
               "percentages are of all denied adjustments.")
    tables.table_and_csv(funnel, "appeal-funnel", "appeal outcomes")


def render() -> None:
    scope = filters.current()
    st.title("Denials")
    found = kpis.headline(scope, "claims", "claims")
    if found is None:
        return
    now, before, _ = found
    st.caption(f"{filters.sentence(scope)} · {int(now['claims']):,} claims, {int(now['denied_claims']):,} denied. "
               "A denial is a CO, OA or PI adjustment with dollars denied; patient responsibility (PR) is not.")
    targets = configured()
    kpis.tiles(TILES, kpis.kpi_table(RATES, now, before, targets), now, before, targets, columns=4)
    if now["denied_claims"] == 0:
        st.info(f"No {LABELS['denial_rate'].lower()} to break down: no claim in this scope was denied.")
        return
    over_time(scope, targets)
    by_reason(scope)
    appeals(scope)


render()
