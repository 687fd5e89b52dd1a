"""Peer percentiles: where each coder and facility stands among its peers on five measures, flagged at the 80th
percentile (and at the 20th for the single CC/MCC share), as PEPPER's "compare targets" report flags a hospital
among hospitals. Ranking, thresholds and flags: queries/peers.py and docs/METRICS.md ("Peer percentiles")."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.permissions import Permission, can
from config import settings
from queries import peers
from queries.metrics import Filters
from queries.peers import FLAGS, HIGH_PERCENTILE, LOW_PERCENTILE, MEASURES
from views import charts, filters, palette, peer_charts, session, tables
from views.text import md

# peer kind -> (plural, the name of one, the table's key column)
KINDS = {"coder": ("Coders", "Coder", "coder_id"), "facility": ("Facilities", "Facility", "facility_id")}
FLAG_ORDER = {flag: i for i, flag in enumerate(FLAGS)}


def compare_table(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """The compare-targets table as shown: flagged rows first (highest percentile first), measures and flags in
    words; the numbers stay numbers (views.tables formats them)."""
    order = frame.assign(_flag=frame["flag"].map(FLAG_ORDER)).sort_values(["_flag", "percentile", "peer", "measure"],
                                                                           ascending=[True, False, True, True])
    return pd.DataFrame({key: order["peer"], "measure": order["measure"].map(lambda m: MEASURES[m].label),
                         "numerator": order["numerator"], "denominator": order["denominator"], "rate": order["rate"],
                         "percentile": order["percentile"], "flag": order["flag"].map(FLAGS)})


def peer_section(scope: Filters, peer: str, min_volume: int) -> None:
    plural, one, key = KINDS[peer]
    st.subheader(f"{plural} against their peers")
    frame = session.query(peers.percentiles, scope, peer, min_volume)
    if frame.empty:
        st.info(f"No {plural.lower()} have claims in this scope. Widen the service dates or clear a filter in the sidebar.")
        return
    flagged = peers.flagged_peers(frame)
    ranked = frame.drop_duplicates("measure").set_index("measure")["ranked_peers"]
    st.caption(f"{len(flagged):,} of {frame['peer'].nunique():,} {plural.lower()} flagged on at least one measure. Ranked "
               "on each measure: " + "; ".join(f"{MEASURES[m].label} {int(n):,}" for m, n in ranked.items()) + ".")
    choices = list(dict.fromkeys(list(flagged["peer"]) + sorted(frame["peer"].unique())))
    chosen = st.selectbox(f"{one} to compare", choices, key=f"peers.{peer}",
                          help=f"{plural} flagged on most measures come first.")
    charts.show(peer_charts.percentile_bars(frame[frame["peer"] == chosen], f"{one} {chosen}: percentile among "
                                            f"{plural.lower()} on each measure"), key=f"peers-chart-{peer}")
    table = compare_table(frame, key)
    tables.grid(table)
    st.caption(f"Every {one.lower()} and measure: flagged rows first. {md(FLAGS['low_volume'])}: the denominator is under "
               f"{min_volume:,}, so the {one.lower()} is neither ranked nor counted as a peer.")
    with st.expander(f"CSV: peer percentiles of {plural.lower()}"):
        tables.csv_download(table, f"peer-percentiles-{peer}", counts=["numerator", "denominator"])


def render() -> None:
    scope = filters.current()
    st.title("Peer percentiles")
    min_volume = settings.load().peer_min_volume
    flagged_colour = palette.NAMES[palette.SIGNAL]
    st.caption(f"{filters.sentence(scope)} · As PEPPER compares a hospital with hospitals, each coder and facility is "
               f"compared with its peers in this scope. Its percentile on a measure is the share of the other ranked peers "
               f"with a lower rate (a tie counts half): 100 is the highest rate, 0 the lowest. A peer is ranked only with at "
               f"least {min_volume:,} in the measure's denominator (CODEAUDIT_PEER_MIN_VOLUME). Flagged ({flagged_colour}): "
               f"at or above the {HIGH_PERCENTILE:.0f}th percentile on every measure, and at or below the "
               f"{LOW_PERCENTILE:.0f}th for the single CC/MCC share, where a low share can mean missed CCs and MCCs. A "
               "flag asks for a closer look (an audit, a talk), not a verdict: docs/METRICS.md says why each measure is "
               "flagged as it is.")
    if can(session.current().role, Permission.VIEW_METRIC_DETAIL):
        peer_section(scope, "coder", min_volume)
    else:
        st.caption("Coder-level figures are for compliance officers and coding managers.")
    peer_section(scope, "facility", min_volume)


render()
