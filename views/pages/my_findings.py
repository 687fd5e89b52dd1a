"""My findings (coders): the findings on the signed-in coder's own claims, imported and reviewed, final or
preliminary, by pseudonymous claim key; no patient identifier, no filter, nothing of another coder. A claim
with preliminary error findings from a review can be rebutted once, until its window closes: one rebuttal
naming the findings disputed, each with its own comment."""
from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from audit.permissions import Permission
from queries import reviewed
from review import claims, rebuttals
from review.rebuttals import MAX_COMMENT
from views import finding_notes, reviews, session, tables
from views.text import md


def rebuttable(findings: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Reviewed error findings still preliminary, not rebutted, with the window open."""
    if findings.empty:
        return findings
    closes = pd.to_datetime(findings["window_closes_at"], utc=True)
    return findings[(findings["source"] == "reviewed") & (findings["finding"] != "agree") & (findings["status"] == "preliminary")
                    & findings["rebuttal"].isna() & (closes > pd.Timestamp(now))]


def rebut_form(open_now: pd.DataFrame) -> None:
    """One rebuttal per claim: each of the claim's error findings gets its own comment; those left blank are
    not disputed. A claim already rebutted (pending, or decided since the auditor completed it) is not offered."""
    who = session.current()
    db = reviews.review_db()
    closed = rebuttals.closed_reviews(db, sorted(set(open_now["review_id"])))
    open_now = open_now[~open_now["review_id"].isin(closed)]
    if open_now.empty:
        st.info("No claim of yours can be rebutted now: each is rebutted already or its window has closed.")
        return
    claims_open = open_now.groupby("review_id", sort=False)
    labels = {review_id: f"{rows.iloc[0].claim_key} · {len(rows)} error finding{'' if len(rows) == 1 else 's'} · until {rows.iloc[0].window_closes_at:%Y-%m-%d}"
              for review_id, rows in claims_open}
    picked = st.selectbox("Claim", list(labels), format_func=labels.get, key="rebut.claim")
    rows = claims_open.get_group(picked)
    with st.form("rebut"):
        st.caption("Write why for each finding you dispute (what the record supports, and where); leave blank the ones you "
                   "accept. A claim is rebutted once, and the coding manager decides the rebuttal once.")
        comments = {row.finding_id: st.text_area(f"{md(rebuttals.finding_label(row))}: why it is wrong", max_chars=MAX_COMMENT,
                                                 key=f"rebut.{picked}.{row.finding_id}")
                    for row in rows.itertuples()}
        submitted = st.form_submit_button("Rebut", type="primary")
    if not submitted:
        return
    detail = claims.claim(session.connection(), rows.iloc[0].claim_key)
    if reviews.change(Permission.REBUT_FINDINGS, lambda: rebuttals.rebut(
            db, picked, comments, coder_id=who.coder_id, claim_coder_id=detail["coder_id"] if detail else "",
            user=who.user, role=who.role_name, record=session.record)):
        st.success("Your rebuttal is recorded; the coding manager decides it. The claim's findings stay preliminary until then.")


def render() -> None:
    who = session.current()
    st.title("My findings")
    if not who.coder_id:
        st.info("Your account has no coder id, so no claims are yours to see. Ask an administrator to set it.")
        return
    findings = session.query(reviewed.coder_findings, who.coder_id)
    st.caption(f"Findings on the claims coded by {md(who.coder_id)}, newest service date first; claims appear by "
               "pseudonymous claim key only. Preliminary findings become final when the rebuttal window closes or the "
               "coding manager decides the claim's rebuttal.")
    if findings.empty:
        st.info("No findings on your claims yet.")
        return
    shown = findings.drop(columns=["review_id", "finding_id"])
    st.dataframe(shown, hide_index=True, column_config=tables.column_config(shown))
    tables.csv_download(shown, "my-findings")
    st.subheader("Rebut a claim's findings")
    open_now = rebuttable(findings, datetime.now(UTC))
    if open_now.empty:
        st.info("No preliminary error finding on your claims can be rebutted now.")
        return
    finding_notes.reveal_section(who, open_now)
    rebut_form(open_now)


render()
