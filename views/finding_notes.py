"""A finding's notes (rationale, reference, where documented) on the pages: sealed in the review store
(review/notes.py) and shown only after the reveal is recorded in the access log. The auditor editing a draft
reveals its notes once per revision and session (to edit them); a coder (the findings they may rebut) and the
coding manager (the rebutted findings) reveal them with a button and see them until their next action, as with
patient identifiers."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from audit.keys import load_data_keyring, require
from audit.log.writer import AccessLogError
from audit.permissions import PermissionDenied
from audit.vault import DecryptionError, PhiVault
from review import claims, notes
from review.notes import FindingNotes
from review.worklist import Review, get_review
from views import problems, reviews, session
from views.text import md

COLUMNS = {"rationale": "Rationale", "reference": "Reference (OCG section, Coding Clinic)", "location": "Where documented"}


def vault() -> PhiVault:
    paths = session.paths()
    return PhiVault(require(load_data_keyring(paths.key_dir), "data keyring", paths.key_dir))


def _reveal(who: session.SignedIn, review: Review, findings: list, **scope: Any) -> dict[str, FindingNotes] | None:
    """The notes of these findings after a recorded reveal; None (with a sentence on screen) when refused or
    when the reveal could not be recorded (then nothing was decrypted)."""
    try:
        return notes.reveal(vault, review.review_id, review.claim_key, findings, user=who.user, role=who.role_name,
                            record=session.record, **scope)
    except PermissionDenied as exc:
        st.error(md(exc))
    except AccessLogError as exc:
        st.error(f"The notes are not shown because the access could not be recorded. {problems.shown(exc, who.role)}")
    except DecryptionError as exc:
        st.error(md(exc))
    return None


def for_editing(who: session.SignedIn, review: Review) -> dict[str, FindingNotes] | None:
    """The draft's notes for the auditor's editor, revealed (and recorded) once per revision in this session;
    None when they could not be revealed (the editor then leaves the notes as stored)."""
    key = f"notes.{review.review_id}.{review.latest.revision}"
    if key not in st.session_state:
        revealed = _reveal(who, review, review.findings)
        if revealed is None:
            return None
        st.session_state[key] = revealed
    return st.session_state[key]


def remember(review: Review, rows: list[dict[str, Any]]) -> None:
    """After a save, the editor's notes are the ones just typed (the saved findings in the rows' order)."""
    st.session_state[f"notes.{review.review_id}.{review.latest.revision}"] = {
        f.finding_id: notes.typed(row, i) or FindingNotes() for i, (f, row) in enumerate(zip(review.findings, rows, strict=True), start=1)}


def reveal_section(who: session.SignedIn, wanted: pd.DataFrame) -> None:
    """The auditor's rationale, reference and record location of these findings (columns review_id and
    finding_id), shown after the recorded reveal (one event per review): to a coder before rebutting (their own
    claims only), to the coding manager before deciding."""
    if wanted.empty:
        return
    if not st.button("Show the auditor's rationale, reference and where it is documented", icon=":material/visibility:"):
        st.caption("The auditor's notes may quote the record, so showing them is recorded in the access log.")
        return
    rows = []
    for review_id, group in wanted.groupby("review_id", sort=False):
        review = get_review(reviews.review_db(), str(review_id))
        chosen = [f for f in review.completed_findings if f.finding_id in set(group["finding_id"])]
        detail = claims.claim(session.connection(), review.claim_key)
        revealed = _reveal(who, review, chosen, coder_id=who.coder_id, claim_coder_id=detail["coder_id"] if detail else None)
        if revealed is None:
            return
        for f in chosen:
            shown = revealed.get(f.finding_id, FindingNotes())
            rows.append({"Claim key": review.claim_key, "Finding": f"{f.position}. {f.code_type} {f.submitted_code or ''} -> "
                         f"{f.audited_code or ''} {f.finding}", **{COLUMNS[k]: v for k, v in shown.as_dict().items()}})
    st.success("Recorded in the access log. The notes disappear at your next action on this page.")
    # st.table reads Markdown in its cells: the notes are data, shown as text
    st.table(pd.DataFrame(rows).map(md))
