"""Headline-rate tiles: the rate against its target and against the period it is compared with (a named
period: the same dates a year earlier; typed dates: the equal period just before, views.filters.compared_with),
with its counts, 95% interval and the change's p-value in the tile's help. Shared by the pages."""
from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from queries import metrics
from queries.formats import dollars, percent, points, signed_dollars
from queries.metrics import LABELS
from queries.stats import SMALL_SAMPLE, ChangeReading, compare_periods, read_change, read_target
from queries.targets import Target
from views import filters, session
from views.text import md

# The Overview's headline: the rates it compares with the earlier period, and the order of its tiles.
OVERVIEW_RATES = ("code_accuracy", "claim_accuracy", "drg_accuracy", "unspecified_rate", "invalid_code_rate",
                  "denial_rate", "coding_denial_share", "appeal_overturn_rate")
OVERVIEW_TILES = ("code_accuracy", "claim_accuracy", "drg_accuracy", "unspecified_rate", "invalid_code_rate",
                  "denial_rate", "denied_amount", "coding_denial_share", "appeal_overturn_rate", "overpaid", "underpaid")


def kpi_table(rates: Sequence[str], now: pd.Series, before: pd.Series | None, targets: dict[str, Target]) -> pd.DataFrame:
    """One row per rate: value, interval, counts, previous period, change, its p-value and what it says
    (queries.stats.read_change), target and whether it is met (read_target: not on a small sample).
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
            "target": target.value if target else math.nan,
            "target_verdict": read_target(target.met(now[rate]), int(now[counts.denominator])) if target else "no target",
        })
    table = pd.DataFrame(rows, index=pd.Index(list(rates)))
    change = compare_periods(table.numerator, table.denominator, table.previous_numerator, table.previous_denominator)
    table["previous_rate"] = change["rate_before"].to_numpy()
    table["change"] = change["change"].to_numpy()
    table["p_value"] = change["p_value"].to_numpy()
    table["change_verdict"] = [
        reading(table.loc[rate], rate).verdict for rate in rates
    ]
    return table


def reading(row: pd.Series, rate: str) -> ChangeReading:
    """What the change of one kpi_table row says (the rule is queries.stats.read_change)."""
    return read_change(row["change"], row["p_value"], int(row["denominator"]), int(row["previous_denominator"]),
                       metrics.RATES[rate].higher_is_better)


def _delta(found: ChangeReading) -> tuple[str | None, str, str]:
    """The tile's delta text, its colour rule and its arrow: coloured only for a significant change."""
    if found.verdict == "no comparison":
        return None, "off", "off"
    if found.verdict == "small sample":
        return f"small sample: {found.counted_now:,} now, {found.counted_before:,} before", "off", "off"
    if found.verdict == "no significant change":
        return f"{points(found.change)}, no significant change", "off", "off"
    return f"{points(found.change)}, {found.verdict} (p = {found.p_value:.3f})", "normal", "auto"


TARGET_WORDS = {"met": ":green[met]", "missed": ":red[missed]", "no data": "no data",
                "small sample": f"too few to judge (under {SMALL_SAMPLE} counted)"}


def rate_tile(row: pd.Series, rate: str, target: Target | None) -> None:
    found = reading(row, rate)
    delta, colour, arrow = _delta(found)
    if colour == "normal" and not metrics.RATES[rate].higher_is_better:
        colour = "inverse"
    detail = (
        f"{row['numerator']:,} of {row['denominator']:,}; 95% interval {percent(row['ci_low'])} to {percent(row['ci_high'])}. "
        f"Comparison period {percent(row['previous_rate'])}"
        + ("" if pd.isna(row["p_value"]) else f" (change p = {row['p_value']:.3f}; under 0.05 is unlikely to be chance)")
        + f". A change is coloured only when it is significant and both periods counted at least {SMALL_SAMPLE}."
    )
    st.metric(LABELS[rate], percent(row["rate"]), delta, delta_color=colour, delta_arrow=arrow, help=detail, border=True)
    if target is None:
        st.caption("No target")
        return
    st.caption(f"Target {target.describe()}: {TARGET_WORDS[row['target_verdict']]}")


def money_tile(now: pd.Series, before: pd.Series | None) -> None:
    """Denied dollars, with the share of billed dollars and the dollars per claim beside them, now and in the
    previous period, so a change in volume is not read as a change in denials. The dollar change is not
    coloured: it has no test of its own."""
    delta = None
    if before is not None:
        delta = signed_dollars(now["denied_amount"] - before["denied_amount"])
    st.metric(LABELS["denied_amount"], dollars(now["denied_amount"]), delta, delta_color="off", delta_arrow="off", border=True,
              help="Dollars denied on CO, OA and PI adjustments of claims in scope (patient responsibility is not a denial).")
    st.caption(md(volume_sentence(now, before)))  # dollar signs would otherwise start Markdown math


def volume_sentence(now: pd.Series, before: pd.Series | None) -> str:
    """'6.8% of billed, $270.45 per claim (before: 6.5%, $255.10)': denied dollars adjusted for volume."""
    def adjusted(row: pd.Series) -> str:
        per_claim = row["denied_amount"] / row["claims"] if row["claims"] else math.nan
        share = row["denied_dollar_rate"]
        return (f"{'no billed dollars' if pd.isna(share) else percent(share) + ' of billed'}, "
                f"{dollars(per_claim)} per claim")
    return adjusted(now) + ("" if before is None else f" (before: {adjusted(before)})")


AUDIT_DOLLARS = {
    "overpaid": ("Overpaid (audits)", "Sum of the negative dollar impacts of audit findings: claims paid more than the "
                 "audited coding supports, a repayment risk."),
    "underpaid": ("Underpaid (audits)", "Sum of the positive dollar impacts of audit findings: claims that the audited "
                  "coding would have been paid more for."),
}


def audit_dollar_tile(kind: str, now: pd.Series) -> None:
    """Overpaid or underpaid dollars found by the audits of claims in scope (docs/METRICS.md, financial impact)."""
    label, detail = AUDIT_DOLLARS[kind]
    st.metric(label, dollars(abs(now[kind])), border=True, help=detail)
    st.caption(f"found by auditing {int(now['audited_claims']):,} of {int(now['claims']):,} claims")


def tiles(order: Sequence[str], table: pd.DataFrame, now: pd.Series, before: pd.Series | None,
          targets: dict[str, Target], columns: int = 3) -> None:
    """Tiles in a grid, in `order`: 'denied_amount' is the denied-dollar tile, 'overpaid' and 'underpaid' the
    audit-dollar tiles, the rest rows of `table`."""
    slots = st.columns(columns)
    for i, metric in enumerate(order):
        with slots[i % columns]:
            if metric == "denied_amount":
                money_tile(now, before)
            elif metric in AUDIT_DOLLARS:
                audit_dollar_tile(metric, now)
            else:
                rate_tile(table.loc[metric], metric, targets.get(metric))


def headline(scope: metrics.Filters, count: str, nothing: str) -> tuple[pd.Series, pd.Series | None, metrics.Filters | None] | None:
    """This scope's summary row, its comparison period's (None when it has no claims) and that period;
    or None, after an empty-state message naming `nothing`, when the scope's `count` is 0."""
    now = session.query(metrics.summary, scope).iloc[0]
    if now[count] == 0:
        st.info(f"No {nothing} match these filters. Widen the service dates or clear a filter in the sidebar.")
        return None
    previous_scope = filters.compared_with(scope)
    before = session.query(metrics.summary, previous_scope).iloc[0] if previous_scope else None
    return now, (None if before is None or before["claims"] == 0 else before), previous_scope
