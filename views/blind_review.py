"""Blind review on the Record review page: with blind review on, a claim not started yet hides the coder's codes
and billed MS-DRG until the auditor has saved the codes they abstract from the record (review/blind.py); then
the page shows their codes beside the coder's, the differences (review/blind_codes.py), and takes the ones the
auditor chooses into the claim's findings. Entry and choice are forms: nothing reruns until they are sent."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.permissions import Permission
from queries.reference import describe
from queries.words import ERROR_CATEGORIES, FINDINGS
from review import blind, worklist
from review.blind import BlindState
from review.blind_codes import BlindCodeError, BlindCodes, CoderCode, Difference, differences, parse, proposed_rows
from review.worklist import Review
from views import reviews, session
from views.text import md


def proposed(d: Difference) -> str:
    """A proposed finding in words: 'Revised, Sequencing'."""
    return f"{FINDINGS[d.finding]}, {ERROR_CATEGORIES[d.error_category or '']}" if d.finding else d.detail


KINDS = {"principal": "Principal diagnosis", "changed": "Changed", "deleted": "Deleted", "added": "Added",
         "poa": "POA differs", "drg": "MS-DRG differs"}
TOGGLE = "Review blind: hide the coder's codes until I have entered mine"


def wanted(sample_id: str) -> bool:
    return st.toggle(TOGGLE, key=f"blind.{sample_id}",
                     help="For each claim you open with no findings saved yet: you enter the diagnoses (with POA), "
                          "procedures and MS-DRG you abstract from the record, then see the coder's codes and the "
                          "differences, proposed as findings.")


def state(who: session.SignedIn, review: Review, blind_on: bool) -> BlindState | None:
    """The claim's blind state, starting it when blind review is on and the claim has nothing saved yet."""
    current = blind.blind_state(reviews.review_db(), review)
    if current is None and blind_on:
        if not blind.can_start(review):
            st.caption("This claim already has findings, so it is reviewed with the coder's codes.")
            return None
        current = reviews.change(Permission.REVIEW_CLAIMS, lambda: blind.start(reviews.review_db(), review.review_id, who.user))
    return current


def entry_form(who: session.SignedIn, review: Review, inpatient: bool) -> None:
    """The auditor's own codes, before the coder's are shown; a refused entry keeps what was typed."""
    st.info("Blind review: the coder's codes and billed MS-DRG are hidden until you save the codes you abstract from the record.")
    with st.form(f"blind.{review.review_id}.{review.latest.revision}", enter_to_submit=False):
        diagnoses = st.text_area("Diagnoses, principal first: one a line, the ICD-10-CM code and its POA", height=140,
                                 placeholder="I50.21 Y\nN17.9 Y\nE11.9 Y", max_chars=2_000)
        left, right = st.columns([3, 1])
        procedures = left.text_area("Procedures (ICD-10-PCS), one a line", height=80, placeholder="02703ZZ", max_chars=1_000)
        drg = right.text_input("MS-DRG the record supports", max_chars=3, placeholder="291") if inpatient else ""
        submitted = st.form_submit_button("Save my codes and show the coder's", type="primary", icon=":material/visibility:")
    st.button("Show the coder's codes without entering mine", on_click=_leave, args=(review,), icon=":material/visibility_off:")
    if not submitted:
        return
    try:
        codes = parse(diagnoses, procedures, drg, inpatient=inpatient)
    except BlindCodeError as exc:
        st.error(md(exc))
        return
    if reviews.change(Permission.REVIEW_CLAIMS, lambda: blind.save(reviews.review_db(), review.review_id, codes, who.user)):
        st.rerun()


def _leave(review: Review) -> None:
    """Leave the blind review (before the codes are saved) and turn blind review off for the next claims."""
    reviews.change(Permission.REVIEW_CLAIMS, lambda: blind.stop(reviews.review_db(), review.review_id))
    st.session_state[f"blind.{review.sample_id}"] = False


def coder_codes(codes: pd.DataFrame) -> list[CoderCode]:
    return [CoderCode(str(row.code_type), str(row.code), None if pd.isna(row.poa) or not row.poa else str(row.poa))
            for row in codes.itertuples()]


def _shown_codes(codes: BlindCodes) -> pd.DataFrame:
    rows = [{"Your code": md(describe("ICD10CM_DX", d.code)), "POA": md(d.poa or ""),
             "As": "principal diagnosis" if i == 1 else "secondary diagnosis"} for i, d in enumerate(codes.diagnoses, start=1)]
    rows += [{"Your code": md(describe("ICD10PCS", code)), "POA": "", "As": "procedure"} for code in codes.procedures]
    rows += [{"Your code": md(describe("MSDRG", codes.drg)), "POA": "", "As": "MS-DRG"}] if codes.drg else []
    return pd.DataFrame(rows)


def _shown_differences(found: list[Difference]) -> pd.DataFrame:
    return pd.DataFrame([{"#": i, "Difference": KINDS[d.kind], "Coder's code": md(describe(d.code_type, d.submitted_code)),
                          "Your code": md(describe(d.code_type, d.audited_code)),
                          "Proposed finding": md(proposed(d))}
                         for i, d in enumerate(found, start=1)])


def _drg_row(review: Review, codes: BlindCodes, billed: str | None, found: list[Difference], taken: list[Difference]) -> list[dict]:
    """The DRG finding the blind MS-DRG gives when its difference is taken (or when it agrees with the billed)."""
    if not codes.drg or not billed:
        return []
    if any(d.kind == "drg" for d in found) and not any(d.kind == "drg" for d in taken):
        return [row for row in (f.as_row() for f in review.findings) if row["code_type"] == "MSDRG"]
    agree = codes.drg == billed
    return [{"code_type": "MSDRG", "submitted_code": billed, "audited_code": codes.drg, "finding": "agree" if agree else "revise",
             "error_category": None if agree else "drg", "dollar_impact": "0"}]


def comparison(who: session.SignedIn, review: Review, state_now: BlindState, codes: pd.DataFrame, billed: str | None,
               held: str | None) -> bool:
    """The auditor's blind codes beside the coder's, the differences, and (while the claim is a draft) a form to
    take the chosen ones into the claim's findings; True once they were taken (the page then reloads them)."""
    assert state_now.codes is not None
    blind_codes = state_now.codes
    found = differences(coder_codes(codes), blind_codes, billed)
    st.markdown("**Blind review: your codes and the differences from the coder's**")
    left, right = st.columns([2, 3])
    left.table(_shown_codes(blind_codes))
    if not found:
        right.success("Your codes and the coder's agree: no difference.")
    else:
        right.table(_shown_differences(found))
    if review.locked or not found:
        return False
    with st.form(f"blind.take.{review.review_id}.{review.latest.revision}", enter_to_submit=False):
        st.caption("Take the differences you accept as findings: the claim's code findings become one agree per submitted "
                   "code with these changes (the findings saved or edited below are replaced), and the MS-DRG difference "
                   "becomes the DRG finding. Fill in the dollar impacts afterwards. A POA difference is not a finding.")
        chosen = [d for i, d in enumerate(found, start=1)
                  if d.finding and st.checkbox(f"{i}. {KINDS[d.kind]}: {proposed(d)}", value=True,
                                                key=f"blind.take.{review.review_id}.{i}")]
        submitted = st.form_submit_button("Take the chosen differences as findings", icon=":material/playlist_add_check:")
    if not submitted:
        return False
    rows = proposed_rows(coder_codes(codes), chosen) + _drg_row(review, blind_codes, billed, found, chosen)
    saved = reviews.change(Permission.REVIEW_CLAIMS, lambda: worklist.save_draft(
        reviews.review_db(), review.review_id, rows, who.user, expected_version=held))
    return saved is not None
