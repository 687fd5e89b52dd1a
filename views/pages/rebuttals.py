"""Rebuttal decisions (coding managers): coders' rebuttals of review findings, one per claim, pending first.
The manager decides a claim's rebuttal once, accepting or rejecting each finding it names: accepted findings
are corrected in one new revision of the review (the submitted code stands), rejected ones stand. The claim's
final codes are regrouped, and a decision whose codes do not group to the claim's DRG finding is refused with
the reason (review/rebuttals.py). Either way the claim is no longer pending, and the metrics count it once final."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.permissions import Permission
from review import rebuttals
from review.rebuttals import MAX_COMMENT
from review.worklist import get_review
from views import finding_notes, reviews, session, tables
from views.text import md

COLUMNS = ["rebutted_at", "coder_id", "claim_key", "code_type", "submitted_code", "audited_code", "finding", "error_category",
           "dollar_impact", "comment"]
ACCEPT, REJECT = "Accept: correct it", "Reject: it stands"


def decide_form(pending: list[dict]) -> None:
    """Pick a claim's rebuttal, then accept or reject each finding it names, in one decision."""
    who = session.current()
    claims: dict[str, list[dict]] = {}
    for row in pending:
        claims.setdefault(row["claim_rebuttal_id"], []).append(row)
    labels = {cid: f"{rows[0]['claim_key']} · coder {rows[0]['coder_id']} · {len(rows)} finding{'' if len(rows) == 1 else 's'} rebutted" for cid, rows in claims.items()}
    picked = st.selectbox("Claim rebuttal", list(labels), format_func=labels.get, key="decide.claim")
    with st.form("decide"):
        st.caption("Accept or reject each finding the coder disputes. Accepted findings are corrected in one new revision; "
                   "the claim's final codes are then regrouped and must group to its DRG finding.")
        choices = {row["finding_id"]: st.radio(md(rebuttals.finding_label(pd.Series(row))), (ACCEPT, REJECT), index=None,
                                               horizontal=True, key=f"decide.{picked}.{row['finding_id']}")
                   for row in claims[picked]}
        comment = st.text_area("Decision comment", max_chars=MAX_COMMENT)
        submitted = st.form_submit_button("Decide", type="primary")
    if not submitted:
        return
    decisions = {finding_id: choice == ACCEPT for finding_id, choice in choices.items() if choice is not None}

    def decided() -> rebuttals.ClaimDecision:
        outcome = rebuttals.decide(reviews.review_db(), picked, decisions, store=session.connection(), user=who.user,
                                   role=who.role_name, comment=comment, record=session.record)
        reviews.refresh_report(get_review(reviews.review_db(), claims[picked][0]["review_id"]).sample_id)
        return outcome

    if reviews.change(Permission.DECIDE_REBUTTALS, decided):
        st.rerun()


def render() -> None:
    st.title("Rebuttal decisions")
    rows = rebuttals.rebuttal_rows(reviews.review_db())
    pending = [r for r in rows if r["decision"] is None]
    st.subheader("Pending rebuttals")
    if not pending:
        st.info("No rebuttal is waiting for a decision.")
    else:
        table = pd.DataFrame(pending)[COLUMNS]
        st.dataframe(table, hide_index=True, column_config=tables.column_config(table))
        decide_form(pending)
        finding_notes.reveal_section(session.current(), pd.DataFrame(pending))
    decided = [r for r in rows if r["decision"] is not None]
    st.subheader("Decided rebuttals")
    if decided:
        table = pd.DataFrame(decided)[[*COLUMNS, "decision", "regrouped_drg", "decided_by", "decided_at", "decision_comment"]]
        st.dataframe(table, hide_index=True, column_config=tables.column_config(table))
    else:
        st.caption("No rebuttal has been decided yet.")


render()
