"""Record review: the auditor's worklist. Open a sample, work through its claims (submitted codes with their
ICD-10-CM titles, encounter, billed amount), record a finding per code (agree, revise, add, delete, with error
category and dollar impact) and a DRG finding for inpatient claims, save part-way and resume, complete the
claim (locked; a correction is a new revision), then the sample. Patient identifiers for pulling the chart
are revealed from the worklist row under the reveal rules (an auditor's normal reveal only for a claim drawn
into a sample; break-glass for any), recorded in the log before anything is decrypted."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from audit import phi_reveal
from audit.events import AccessEvent
from audit.log.writer import AccessLogError
from audit.permissions import Permission, PermissionDenied, PhiField, PurposeOfUse, authorize_reveal, can, phi_fields, reveal_purposes
from review.samples import claim_sampled
from views import problems, reviews, session
from views.reveals import revealed
from views.text import md
from views.worklist import worklist_section

_BREAK_GLASS = "reveal.break_glass"


def _refused(who: session.SignedIn, claim_key: str, fields: list[PhiField], purpose: PurposeOfUse | None,
             justification: str, break_glass: bool, reason: str) -> None:
    """A refused reveal is recorded too (outcome denied), with what was asked and why it was refused."""
    try:
        session.record(AccessEvent(
            user=who.user, role=who.role_name, action="phi_reveal", outcome="denied", claim_keys=(claim_key,),
            fields=tuple(f.value for f in fields), purpose_of_use=purpose.value if purpose else "",
            justification=justification.strip(), details={"break_glass": break_glass, "reason": reason},
        ))
    except AccessLogError as exc:
        st.error(f"The refusal could not be recorded either. {problems.shown(exc, who.role)}")


def reveal_form(who: session.SignedIn, claim_key: str = "") -> None:
    st.subheader("Reveal patient identifiers for a claim")
    break_glass = can(who.role, Permission.BREAK_GLASS) and st.toggle(
        "Emergency access (break-glass)", key=_BREAK_GLASS,
        help="Shows every identifier under purpose ETREAT. Needs a written justification; every break-glass access "
             "is reviewed by the compliance officer.")
    if break_glass:
        st.warning("Break-glass access is for emergencies only. It is recorded with your justification and reviewed.")
    with st.form("reveal", clear_on_submit=False):
        claim_key = st.text_input("Claim key", value=claim_key, max_chars=24, placeholder="24 hexadecimal digits, from a findings table")
        fields = st.multiselect("Identifiers", phi_fields(who.role, break_glass=break_glass), format_func=lambda f: f.label)
        purpose = st.selectbox("Purpose of use", reveal_purposes(who.role, break_glass=break_glass),
                               format_func=lambda p: f"{p.value}: {p.label}")
        justification = st.text_area("Justification" + (" (required)" if break_glass else " (optional)"), max_chars=500)
        submitted = st.form_submit_button("Reveal", type="primary")
    if not submitted:
        return
    try:
        key = phi_reveal.normalize_claim_key(claim_key)
    except ValueError as exc:
        st.error(md(exc))
        return
    try:
        decision = authorize_reveal(who.role, fields, purpose or "", justification, break_glass=break_glass,
                                    claim_in_sample=claim_sampled(reviews.review_db(), key))
    except PermissionDenied as exc:
        _refused(who, key, fields, purpose, justification, break_glass, str(exc))
        st.error(md(exc))
        return
    values = revealed(who, lambda: phi_reveal.reveal(session.paths(), session.connection(), decision, who.user, key,
                                                     session.record))
    if values is None:
        return
    st.success(f"Recorded in the access log: {md(who.user)}, {decision.purpose.value}, claim {key}. "
               "The values disappear at your next action on this page.")
    if decision.needs_review:
        st.warning("This break-glass access is flagged for review by the compliance officer.")
    # st.table reads Markdown in its cells: identifiers are data, shown as text
    st.table(pd.DataFrame({"identifier": [PhiField(f).label for f in values], "value": [md(v) for v in values.values()]}))


def render() -> None:
    who = session.current()
    st.title("Record review")
    claim_key = worklist_section(who)
    column, _ = st.columns([3, 2])
    with column:
        reveal_form(who, claim_key or "")


render()
