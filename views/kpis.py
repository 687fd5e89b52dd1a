"""Headline-rate tiles: the rate against its target and against the previous period of equal length,
with its counts, 95% interval and the change's p-value in the tile's help. Shared by the pages."""
from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from queries import metrics
from queries.metrics import LABELS
from queries.stats import compare_periods
from queries.targets import Target
from views import session
from views.text import money, percent


def kpi_table(rates: Sequence[str], now: pd.Series, before: pd.Series | None, targets: dict[str, Target]) -> pd.DataFrame:
    """One row per rate: value, interval, counts, previous period, change and its p-value, target.
    `before` is None when there is no previous period with claims."""
    rows = []
    for rate in rates:
        counts = metrics.RATES[rate]
        target = targets.get(rate)
        rows.append({
            "metric": LABELS[rate], "rate": now[rate], "ci_low": now[f"{rate}_ci_low"], "ci_high": now[f"{rate}_ci_high"],
            "numerator": int(now[counts.numerator]), "denominator": int(now[counts.denominator]),
            "previous_numerator": int(before[counts.numerator]) if before is not None else 0,
            "previous_denominator": int(before[counts.denominator]) if before is not None else 0,
            "target": target.value if target else math.nan, "target_met": target.met(now[rate]) if target else None,
        })
    table = pd.DataFrame(rows, index=pd.Index(list(rates)))
    change = compare_periods(table.numerator, table.denominator, table.previous_numerator, table.previous_denominator)
    table["previous_rate"] = change["rate_before"].to_numpy()
    table["change"] = change["change"].to_numpy()
    table["p_value"] = change["p_value"].to_numpy()
    return table


def rate_tile(row: pd.Series, rate: str, target: Target | None) -> None:
    higher_is_better = metrics.RATES[rate].higher_is_better
    change = row["change"]
    delta = None if pd.isna(change) else f"{change * 100:+.1f} pp"
    detail = (
        f"{row['numerator']:,} of {row['denominator']:,}; 95% interval {percent(row['ci_low'])} to {percent(row['ci_high'])}. "
        f"Previous period {percent(row['previous_rate'])}"
        + ("" if pd.isna(row["p_value"]) else f" (change p = {row['p_value']:.3f}; under 0.05 is unlikely to be chance)")
        + "."
    )
    st.metric(LABELS[rate], percent(row["rate"]), delta, delta_color="normal" if higher_is_better else "inverse",
              help=detail, border=True)
    if target is None:
        st.caption("No target")
        return
    met = target.met(row["rate"])
    verdict = "no data" if met is None else (":green[met]" if met else ":red[missed]")
    st.caption(f"Target {target.describe()}: {verdict}")


def money_tile(now: pd.Series, before: pd.Series | None) -> None:
    delta = None
    if before is not None:
        difference = money(now["denied_amount"] - before["denied_amount"])
        delta = difference if difference.startswith("-") else f"+{difference}"
    st.metric(LABELS["denied_amount"], money(now["denied_amount"]), delta, delta_color="inverse", border=True,
              help="Dollars denied on CO, OA and PI adjustments of claims in scope (patient responsibility is not a denial).")
    share = now["denied_dollar_rate"]
    st.caption("no billed dollars" if pd.isna(share) else f"{percent(share)} of billed dollars")


def tiles(order: Sequence[str], table: pd.DataFrame, now: pd.Series, before: pd.Series | None,
          targets: dict[str, Target], columns: int = 3) -> None:
    """Tiles in a grid, in `order`; 'denied_amount' is the money tile, the rest rows of `table`."""
    slots = st.columns(columns)
    for i, metric in enumerate(order):
        with slots[i % columns]:
            if metric == "denied_amount":
                money_tile(now, before)
            else:
                rate_tile(table.loc[metric], metric, targets.get(metric))


def headline(scope: metrics.Filters, count: str, nothing: str) -> tuple[pd.Series, pd.Series | None, metrics.Filters | None] | None:
    """This scope's summary row, the previous equal period's (None when it has no claims) and that period;
    or None, after an empty-state message naming `nothing`, when the scope's `count` is 0."""
    now = session.query(metrics.summary, scope).iloc[0]
    if now[count] == 0:
        st.info(f"No {nothing} match these filters. Widen the service dates or clear a filter in the sidebar.")
        return None
    previous_scope = scope.previous_period()
    before = session.query(metrics.summary, previous_scope).iloc[0] if previous_scope else None
    return now, (None if before is None or before["claims"] == 0 else before), previous_scope
