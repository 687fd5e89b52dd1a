"""Hostile review of the live DRG proposal on Record review: what "Use the proposed DRG finding" writes."""
from __future__ import annotations

import streamlit as st

from queries.drg import DrgFindingProposal
from views import worklist


def test_hostile_taking_a_revise_proposal_without_known_dollars_does_not_record_zero_dollars():
    """With no CODEAUDIT_DRG_BASE_RATE (the default) or no weight for either DRG, the proposal has no dollars.
    Taking a DRG downgrade then set the DRG dollar impact to 0.00, overwriting the amount the auditor had
    typed: a revise DRG finding that moved money is saved as moving none, and the sample's overpayment
    extrapolation leaves it out."""
    keys = {name: f"drg.{name}.hostile.1" for name in ("submitted", "audited", "finding", "category", "impact")}
    st.session_state[keys["impact"]] = -2400.0  # typed by the auditor from the remittance
    downgrade = DrgFindingProposal("revise", "291", "292", "drg", -0.4, title="Heart Failure and Shock with CC")
    worklist._take_proposal(keys, downgrade, downgrade.dollars(None))
    assert st.session_state[keys["finding"]] == "revise" and st.session_state[keys["audited"]] == "292"
    assert st.session_state[keys["impact"]] == -2400.0
