"""Overview: the headline rates against their targets and the previous period, their 24-month trends
with control limits, and the signals those limits raise."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from queries import metrics
from queries.metrics import LABELS
from queries.stats import p_chart_signals
from queries.targets import Target
from views import charts, filters, kpis, reviews, tables, trends
from views.targets import configured

RATE_TILES, TILE_ORDER = kpis.OVERVIEW_RATES, kpis.OVERVIEW_TILES
TREND_MONTHS = 24


def _months(periods: list[str]) -> str:
    return ", ".join(periods) if len(periods) <= 3 else f"{len(periods)} months ({periods[0]} to {periods[-1]})"


def alert_lines(charts_by_rate: dict[str, pd.DataFrame]) -> list[str]:
    """One sentence per rate with signals: the months outside each limit and the runs, each said to be
    better or worse than usual (queries.stats reads that for the rate). Months are grouped: on a large
    store most months can be signals."""
    lines = []
    for rate, chart in charts_by_rate.items():
        outside: dict[tuple[str, str], list[str]] = {}
        runs = []
        for signal in p_chart_signals(chart, metrics.RATES[rate].higher_is_better):
            if signal.kind == "run":
                runs.append(f"{signal.label} to {signal.period}, {signal.direction} than usual")
            else:
                outside.setdefault((signal.label, signal.direction), []).append(signal.period)
        parts = [f"{label} in {_months(periods)}, {direction} than usual" for (label, direction), periods in outside.items()]
        parts += runs
        if parts:
            lines.append(f"**{LABELS[rate]}**: " + "; ".join(parts) + ".")
    return lines


def render() -> None:
    scope = filters.current()
    st.title("Overview")
    targets = configured()
    headline, trend = st.container(), st.container()
    # The trend chart is computed and sent first (into its place below the tiles), so the browser draws it
    # while the tiles' two summaries are computed.
    with trend:
        trends_section(scope, targets)
    with headline:
        headline_section(scope, targets)


def headline_section(scope: metrics.Filters, targets: dict[str, Target]) -> None:
    found = kpis.headline(scope, "claims", "claims")
    if found is None:
        return
    now, before, previous_scope = found
    compared = (f" Changes are against {previous_scope.date_from:%Y-%m-%d} to {previous_scope.date_to:%Y-%m-%d}, "
                f"{filters.comparison_words()}."
                if previous_scope and before is not None else " There is no earlier period to compare with.")
    st.caption(f"{filters.sentence(scope)} · {int(now['claims']):,} claims, {int(now['audited_claims']):,} audited.{compared}")
    reviews.pending_caption(scope)
    table = kpis.kpi_table(RATE_TILES, now, before, targets)
    kpis.tiles(TILE_ORDER, table, now, before, targets)
    tables.table_and_csv(table, "overview-kpis", "headline rates",
                         counts=["numerator", "denominator", "previous_numerator", "previous_denominator"])


def trends_section(scope: metrics.Filters, targets: dict[str, Target]) -> None:
    window = filters.trend_window(scope, TREND_MONTHS)
    monthly = trends.monthly(window)
    if monthly.empty:
        return  # no claims at all in the window: the headline section says what to do
    charts_by_rate = {rate: trends.p_chart(window, rate, monthly) for rate in RATE_TILES}
    st.subheader(f"Trends: the {TREND_MONTHS} months to {window.date_to:%Y-%m-%d}" if window.date_to else "Trends by month")
    panels = [(f"{LABELS[rate]} (target {targets[rate].describe()})", charts_by_rate[rate], targets[rate]) for rate in RATE_TILES]
    signals = alert_lines(charts_by_rate)
    if signals:
        st.warning("Signals beyond ordinary variation (control limits and runs; see docs/STATISTICS.md):\n\n"
                   + "\n".join(f"- {line}" for line in signals))
    else:
        st.success("No month is outside its control limits and no run of 8 months sits on one side of the centre.")
    charts.show(charts.trend_grid(panels, ("Denied dollars by month", monthly)), key="overview-trends")
    st.caption(f"In each panel: {charts.P_CHART_CAPTION} Denied dollars of a partial month are drawn pale. The scope "
               f"filters apply; the months are the {TREND_MONTHS} ending with the selected end date.")
    tables.table_and_csv(monthly[["month", "claims", "audited_claims", "findings", "dx_codes", "denied_claims",
                                  *RATE_TILES, "denied_amount"]], "overview-monthly", "monthly rates")

render()
