"""The live DRG proposal on Record review: what "Use the proposed DRG finding" writes, and that taking it is one
state change that a request racing its rerun cannot split."""
from __future__ import annotations

import streamlit as st

from audit.permissions import Page, Role
from queries.drg.grouper import DrgFindingProposal
from review import worklist
from review.db import ReviewDb
from tests.views.conftest import open_app
from tests.views.test_pages import no_exception, page_file, sign_in
from tests.views.test_review_pages import proposal_draft
from views import worklist as page


def test_taking_a_revise_proposal_without_known_dollars_does_not_record_zero_dollars():
    """With no CODEAUDIT_DRG_BASE_RATE (the default) or no weight for either DRG, the proposal has no dollars.
    Taking a DRG downgrade then set the DRG dollar impact to 0.00, overwriting the amount the auditor had
    typed: a revise DRG finding that moved money is saved as moving none, and the sample's overpayment
    extrapolation leaves it out."""
    base = "drg.revise.1"
    st.session_state[page._drg_keys(base)["impact"]] = -2400.0  # typed by the auditor from the remittance
    downgrade = DrgFindingProposal("revise", "291", "292", "drg", -0.4, title="Heart Failure and Shock with CC")
    page._take_proposal(base, downgrade, downgrade.dollars(None))
    seed = st.session_state[f"{base}.seed"]
    assert (seed["finding"], seed["audited"], seed["category"]) == ("revise", "292", "drg")
    assert seed["impact"] == -2400.0
    assert page._drg_keys(base)["finding"] != "drg.revise.1.finding.0"  # new inputs: none has a value in the browser


def test_taking_an_agree_proposal_records_no_dollars_even_without_known_weights():
    """An agreed DRG moves no money: 0.00, not the amount typed before, whether or not the dollars are known."""
    base = "drg.agree.1"
    st.session_state[page._drg_keys(base)["impact"]] = -2400.0
    stands = DrgFindingProposal("agree", "291", "291", None, None, title="Heart Failure and Shock with MCC")
    page._take_proposal(base, stands, stands.dollars(None))
    seed = st.session_state[f"{base}.seed"]
    assert (seed["finding"], seed["category"], seed["impact"]) == ("agree", "", 0.0)


def test_a_request_racing_the_proposals_rerun_keeps_all_of_the_proposal(own_demo):
    """Under load the browser walk saw 'Finding 10: error_category is missing for finding revise' after taking
    the proposal. The browser sends every widget value it holds with each rerun request; a request made while
    the proposal's rerun was still drawing the DRG inputs (here: the finding drawn as revise, the category not
    yet) carried the category's old blank, which won over the value the proposal had set. Replayed here: the
    page's state before the proposal, with only the DRG finding updated, clicks Save draft."""
    opened, billed, expected = proposal_draft(own_demo)
    app = sign_in(open_app(), Role.AUDITOR)
    app.switch_page(page_file(Page.RECORD_REVIEW)).run()
    before = app.run()._tree  # the page as the browser holds it before the proposal's rerun reaches it
    for widget in (*before.text_input, *before.selectbox, *before.number_input):
        widget.set_value(widget.value)  # AppTest reads an untouched widget's value live; the browser holds it
    stale_audited = next(t for t in before.text_input if t.label == "Audited MS-DRG")
    stale_finding = next(s for s in before.selectbox if s.label == "DRG finding")
    stale_save = next(b for b in before.button if b.label == "Save draft")
    app.run()
    next(b for b in app.button if b.label == "Use the proposed DRG finding").click().run()
    no_exception(app)
    stale_audited.set_value(expected.audited_code)  # drawn by the interrupted rerun, as was the finding;
    stale_finding.set_value("revise")               # the category and the dollars were not
    stale_save.click().run()
    no_exception(app)
    assert not [e.value for e in app.error]
    drg = next(f for f in worklist.get_review(ReviewDb(own_demo.reviews_db), opened.review_id).findings if f.code_type == "MSDRG")
    assert (drg.submitted_code, drg.audited_code, drg.finding, drg.error_category) == (billed, expected.audited_code, "revise", "drg")
