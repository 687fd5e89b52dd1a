"""Audit sampling: reserved for the sampling issue (seeded, reproducible samples with the frame hash,
method and generator version kept, RAT-STATS style). Shows the frame the sidebar filters select."""
from __future__ import annotations

import streamlit as st

from queries import metrics
from views import filters, session


def render() -> None:
    st.title("Audit sampling")
    st.info("Drawing samples comes with the sampling issue: seeded random samples of claims per coder and period, "
            "without re-auditing the same claims, each kept with its seed, the hash of its frame and its method so "
            "it can be regenerated exactly. This page holds its place in the navigation until then.")
    scope = filters.current()
    frame = session.query(metrics.summary, scope).iloc[0]
    st.caption(f"The sampling frame the filters select now: {filters.sentence(scope)} · {int(frame['claims']):,} "
               f"claims, {int(frame['audited_claims']):,} already audited.")


render()
