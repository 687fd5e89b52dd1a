"""My findings (coders): the findings on the signed-in coder's own claims, imported and reviewed, final or
preliminary, by pseudonymous claim key; no patient identifier, no filter, nothing of another coder. A
preliminary error finding from a review can be rebutted, with a comment, until its window closes."""
from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from audit.permissions import Permission
from queries import reviewed
from review import claims
from review.rebuttals import MAX_COMMENT, rebut
from views import finding_notes, reviews, session, tables
from views.text import md


def rebuttable(findings: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Reviewed error findings still preliminary, not rebutted, with the window open."""
    if findings.empty:
        return findings
    closes = pd.to_datetime(findings["window_closes_at"], utc=True)
    return findings[(findings["source"] == "reviewed") & (findings["finding"] != "agree") & (findings["status"] == "preliminary")
                    & findings["rebuttal"].isna() & (closes > pd.Timestamp(now))]


def render() -> None:
    who = session.current()
    st.title("My findings")
    if not who.coder_id:
        st.info("Your account has no coder id, so no claims are yours to see. Ask an administrator to set it.")
        return
    findings = session.query(reviewed.coder_findings, who.coder_id)
    st.caption(f"Findings on the claims coded by {md(who.coder_id)}, newest service date first; claims appear by "
               "pseudonymous claim key only. Preliminary findings become final when the rebuttal window closes or the "
               "coding manager decides a rebuttal.")
    if findings.empty:
        st.info("No findings on your claims yet.")
        return
    shown = findings.drop(columns=["review_id", "finding_id"])
    st.dataframe(shown, hide_index=True, column_config=tables.column_config(shown))
    tables.csv_download(shown, "my-findings")
    st.subheader("Rebut a finding")
    open_now = rebuttable(findings, datetime.now(UTC))
    if open_now.empty:
        st.info("No preliminary error finding on your claims can be rebutted now.")
        return
    finding_notes.reveal_section(who, open_now)
    labels = {i: f"{row.claim_key} · {row.code_type} {row.submitted_code or ''} -> {row.audited_code or ''} · {row.finding} "
                 f"· until {row.window_closes_at:%Y-%m-%d}" for i, row in open_now.iterrows()}
    with st.form("rebut"):
        picked = st.selectbox("Finding", list(labels), format_func=labels.get)
        comment = st.text_area("Why the finding is wrong (what the record supports, and where)", max_chars=MAX_COMMENT)
        submitted = st.form_submit_button("Rebut", type="primary")
    if not submitted:
        return
    row = open_now.loc[picked]
    detail = claims.claim(session.connection(), row["claim_key"])
    if reviews.change(Permission.REBUT_FINDINGS, lambda: rebut(
            reviews.review_db(), row["review_id"], row["finding_id"], coder_id=who.coder_id,
            claim_coder_id=detail["coder_id"] if detail else "", user=who.user, role=who.role_name, comment=comment,
            record=session.record)):
        st.success("Your rebuttal is recorded; the coding manager decides it. The finding stays preliminary until then.")


render()
