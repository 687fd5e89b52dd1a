"""Rebuttal decisions (coding managers): coders' rebuttals of review findings, pending first. Accepting
corrects the finding as a new revision of the review (the submitted code stands); rejecting lets it stand.
Either way the finding is no longer pending, and the metrics count it once the claim is final."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.permissions import Permission
from review.rebuttals import MAX_COMMENT, decide, rebuttal_rows
from views import finding_notes, reviews, session, tables

COLUMNS = ["rebutted_at", "coder_id", "claim_key", "code_type", "submitted_code", "audited_code", "finding", "error_category",
           "dollar_impact", "comment"]


def render() -> None:
    who = session.current()
    st.title("Rebuttal decisions")
    rows = rebuttal_rows(reviews.review_db())
    pending = [r for r in rows if r["decision"] is None]
    st.subheader("Pending rebuttals")
    if not pending:
        st.info("No rebuttal is waiting for a decision.")
    else:
        table = pd.DataFrame(pending)[COLUMNS]
        st.dataframe(table, hide_index=True, column_config=tables.column_config(table))
        labels = {r["rebuttal_id"]: f"{r['claim_key']} · {r['code_type']} {r['submitted_code'] or ''} -> {r['audited_code'] or ''} "
                                    f"· coder {r['coder_id']}" for r in pending}
        with st.form("decide"):
            picked = st.selectbox("Rebuttal", list(labels), format_func=labels.get)
            comment = st.text_area("Decision comment", max_chars=MAX_COMMENT)
            accept, reject = st.columns(2)
            accepted = accept.form_submit_button("Accept: correct the finding", type="primary")
            rejected = reject.form_submit_button("Reject: the finding stands")
        if accepted or rejected:
            if reviews.change(Permission.DECIDE_REBUTTALS, lambda: decide(
                    reviews.review_db(), picked, accept=accepted, user=who.user, role=who.role_name, comment=comment,
                    record=session.record)):
                st.rerun()
        finding_notes.reveal_section(who, pd.DataFrame(pending))
    decided = [r for r in rows if r["decision"] is not None]
    st.subheader("Decided rebuttals")
    if decided:
        table = pd.DataFrame(decided)[[*COLUMNS, "decision", "decided_by", "decided_at", "decision_comment"]]
        st.dataframe(table, hide_index=True, column_config=tables.column_config(table))
    else:
        st.caption("No rebuttal has been decided yet.")


render()
