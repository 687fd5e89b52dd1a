"""Denials: rate and dollars over time, coding-related against other reasons (which CARCs, with and without the
broad ones), by payer, by claim adjustment reason code (with our descriptions), by DRG, principal procedure
and service line with the denied claims behind each bar (pseudonymous keys), and what appeals achieved."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.permissions import Permission, can
from queries import metrics
from queries.formats import percent
from queries.metrics import BROAD_CODING_CARCS, DENIAL_GROUPS, LABELS
from queries.reference import describe
from views import charts, filters, kpis, palette, session, tables, trends
from views.targets import configured
from views.text import md

TILES = ("denial_rate", "denied_amount", "coding_denial_share", "appeal_overturn_rate")
RATES = ("denial_rate", "coding_denial_share", "appeal_overturn_rate")
TOP_CARCS = 15
TOP_GROUPS = 15
_GROUP, _BAR, _LAST_BAR = "denials.group", "denials.bar", "denials.last_bar"


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

    st.subheader("By remark code (RARC)")
    rarcs = session.query(metrics.rarc_pareto, scope)
    if rarcs.empty:
        st.info("No denial in this scope carries a remark code (RARC).")
    else:
        top = rarcs.head(TOP_CARCS).assign(reason=lambda d: "RARC " + d["rarc"] + ": " + d["description"].str.slice(0, 60))
        charts.show(charts.labelled_bars(top, "reason", "denied_amount",
                                         f"Denied dollars by remark code: the {len(top)} largest"), key="denials-rarc")
        st.caption("Remark codes come from the 835 (MOA and MIA for the claim, LQ for a service line) or the rarc column "
                   "of denials.csv; a denial with several counts under each. Descriptions are ours (data/reference/rarc.csv).")
        tables.table_and_csv(rarcs, "denials-by-rarc", "denials by remark code")


def coding_reasons(scope: metrics.Filters) -> None:
    st.subheader("Which reasons count as coding-related")
    shares = session.query(metrics.coding_denial_shares, scope)
    broad = " and ".join(BROAD_CODING_CARCS)
    left, right = st.columns(2)
    for column, (_, row) in zip((left, right), shares.iterrows(), strict=True):
        column.metric(f"Coding-related share, {row['reasons']}", percent(row["share_rate"]), border=True,
                      help=f"{row['coding_denied_claims']:,} of {row['denied_claims']:,} denied claims; 95% interval "
                           f"{percent(row['share_ci_low'])} to {percent(row['share_ci_high'])}.")
    st.caption(f"CARC {broad} (claim lacks information; not medically necessary) are coding-related in our table but "
               "broad: a denial under them may say nothing about the coding. The right-hand share leaves them out.")
    carcs = session.query(metrics.coding_carcs, scope)
    tables.table_and_csv(carcs, "coding-carcs", "the CARCs that count as coding-related")


def _bar_label(by: str, row: pd.Series) -> str:
    if by == "drg":
        return f"MS-DRG {row['grp']}"
    if by == "procedure":
        text = describe(row["code_type"], row["grp"])
        return text if len(text) <= 60 else text[:59].rstrip() + "…"
    return str(row["grp"])


def by_claim_kind(scope: metrics.Filters) -> None:
    st.subheader("By DRG, procedure and service line")
    # Opens on service line: every denied claim has one, while only inpatient claims have a billed DRG.
    by = st.radio("Break down by", list(DENIAL_GROUPS), format_func=lambda key: DENIAL_GROUPS[key][:1].upper() + DENIAL_GROUPS[key][1:],
                  key=_GROUP, horizontal=True, index=list(DENIAL_GROUPS).index("service_line"))
    groups = session.query(metrics.denials_by, scope, by)
    denied = groups[groups["denied_claims"] > 0].head(TOP_GROUPS).reset_index(drop=True)
    if denied.empty:
        st.info(f"No denied claim in this scope has a {DENIAL_GROUPS[by]}.")
        return
    denied = denied.assign(label=[_bar_label(by, row) for _, row in denied.iterrows()],
                           text=[f"{d:,} of {n:,} claims denied ({percent(r)})"
                                 for d, n, r in zip(denied["denied_claims"], denied["claims"], denied["denial_rate"], strict=True)])
    event = charts.show(charts.labelled_bars(denied, "label", "denied_amount",
                                             f"Denied dollars by {DENIAL_GROUPS[by]}: the {len(denied)} largest",
                                             text=denied["text"]), key=f"denials-by-{by}", selectable=True)
    if by == "drg":
        st.caption("A claim's DRG is its billed MS-DRG, so these bars cover the inpatient claims that carry one, "
                   "audited or not.")
    elif by == "service_line":
        st.caption("Service line: the encounter type and the family of the claim's principal procedure "
                   "(docs/METRICS.md).")
    table = groups.rename(columns={"grp": by if by != "procedure" else "procedure_code"})
    tables.table_and_csv(table if by == "procedure" else table.drop(columns="code_type"), f"denials-by-{by}",
                         f"denials by {DENIAL_GROUPS[by]}")
    if can(session.current().role, Permission.VIEW_METRIC_DETAIL):
        drill_down(scope, by, denied, event)


def drill_down(scope: metrics.Filters, by: str, denied: pd.DataFrame, event: object) -> None:
    """The denied claims behind one bar: picked by clicking the bar or in the list."""
    points = getattr(getattr(event, "selection", None), "points", None) or []
    clicked = points[0].get("point_index") if points else None
    if clicked is not None and st.session_state.get(_LAST_BAR) != (by, clicked):
        st.session_state[f"{_BAR}.{by}"] = denied["label"].iloc[clicked]
    st.session_state[_LAST_BAR] = (by, clicked)
    label = st.selectbox("Denied claims behind the bar", denied["label"].tolist(), key=f"{_BAR}.{by}",
                         help="Click a bar, or pick it here.")
    row = denied[denied["label"] == label].iloc[0]
    claims = session.query(metrics.denied_claims, scope, by, row["grp"], row["code_type"] if by == "procedure" else None)
    st.caption(f"{len(claims):,} denied claims of {md(label)}, largest denied dollars first. Claims appear by "
               "pseudonymous claim key only; identifiers are revealed, and logged, on the Record review page.")
    tables.grid(claims)
    st.caption("Their denials, each with the remittance it came from (payer, remittance date, trace number) and its "
               "reason and remark codes.")
    tables.grid(session.query(metrics.denial_sources, tuple(claims["claim_key"].head(1000))))


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
    sources = session.query(metrics.payment_sources, scope).iloc[0]
    st.caption(f"Paid amounts: {int(sources['from_claims_file']):,} claims from the claims file, "
               f"{int(sources['from_835']):,} from 835 remittances (where the claims file has none), "
               f"{int(sources['not_known']):,} not known. The claims file wins when it gives one (docs/FORMAT.md).")
    if now["denied_claims"] == 0:
        st.info(f"No {LABELS['denial_rate'].lower()} to break down: no claim in this scope was denied.")
        return
    over_time(scope, targets)
    coding_reasons(scope)
    by_reason(scope)
    by_claim_kind(scope)
    appeals(scope)


render()
