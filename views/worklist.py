"""The auditor's worklist on the Record review page: a sample's claims with their state, one claim's codes,
its findings being entered (a table per code, and a separate DRG finding for inpatient claims), save,
complete, correct, and complete the sample. Every change goes through review/ (rules, locks, the log)."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from audit.permissions import Permission
from review import claims, worklist
from review.samples import Sample, claim_states, list_samples, load_sample
from review.worklist import Review
from views import reviews, session, tables
from views.text import md

_SAMPLE, _CLAIM = "worklist.sample", "worklist.claim"
STATUS = {None: "not started", "draft": "in progress", "completed": "completed"}


def _pick_sample() -> Sample | None:
    rows = list_samples(reviews.review_db())
    if not rows:
        st.info("No sample has been drawn yet: draw one on the Audit sampling page.")
        return None
    open_first = [r for r in rows if not r["completed_at"]] + [r for r in rows if r["completed_at"]]  # newest first in each
    ids = [r["sample_id"] for r in open_first]
    labels = {r["sample_id"]: f"{r['sample_id']} · {r['method']} · {r['reviewed']}/{r['claims']} reviewed"
              + (" · completed" if r["completed_at"] else "") for r in open_first}
    if st.session_state.get(_SAMPLE) not in ids:
        st.session_state[_SAMPLE] = ids[0]
    return load_sample(reviews.review_db(), st.selectbox("Sample", ids, format_func=labels.get, key=_SAMPLE))


def _claims_table(sample: Sample) -> pd.DataFrame:
    rows = claim_states(reviews.review_db(), sample.sample_id)
    strata = [s["label"] for s in sample.strata]
    return pd.DataFrame([{"selection": r["selection"], "claim_key": r["claim_key"], "spare": bool(r["spare"]),
                          "stratum": strata[r["stratum"]] if sample.spec.stratified else "",
                          "status": STATUS[r["status"]], "revision": r["revision"]} for r in rows])


def _editor_rows(review: Review, codes: pd.DataFrame) -> list[dict[str, Any]]:
    found = [f.as_row() for f in review.findings if f.code_type != "MSDRG"]
    if not found and not review.ever_completed:
        found = claims.first_findings(codes[codes.code_type != "MSDRG"])
    return [{**row, "dollar_impact": float(row["dollar_impact"] or 0)} for row in found]


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    """A row from the editor as text for the rules: blanks None, the amount as typed (its shortest form)."""
    out = {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) or v == "" else v) for k, v in row.items()}
    amount = out.get("dollar_impact")
    out["dollar_impact"] = None if amount is None else repr(float(amount))
    return out


def _drg_inputs(review: Review, inpatient: bool) -> dict[str, Any] | None:
    """The DRG finding, a separate input for inpatient claims (typed MS-DRG codes; a grouper may fill them later)."""
    if not inpatient:
        return None
    current = next((f for f in review.findings if f.code_type == "MSDRG"), None)
    st.markdown("**DRG finding** (inpatient: the MS-DRG as billed and as the record supports)")
    cols = st.columns(5)
    submitted = cols[0].text_input("Billed MS-DRG", current.submitted_code if current else "", max_chars=3, key="drg.submitted")
    audited = cols[1].text_input("Audited MS-DRG", current.audited_code if current else "", max_chars=3, key="drg.audited")
    options = ("(no DRG finding)", *reviews.FINDINGS)
    finding = cols[2].selectbox("DRG finding", options, index=options.index(current.finding) if current else 0, key="drg.finding")
    category = cols[3].selectbox("DRG error category", ("", *reviews.CATEGORIES), key="drg.category",
                                 index=(reviews.CATEGORIES.index(current.error_category) + 1) if current and current.error_category else 0)
    impact = cols[4].number_input("DRG dollar impact", value=float(current.dollar_impact) if current else 0.0, step=0.01,
                                  format="%.2f", key="drg.impact")
    if finding == options[0]:
        return None
    return {"finding_id": current.finding_id if current else None, "code_type": "MSDRG", "submitted_code": submitted or None,
            "audited_code": audited or None, "finding": finding, "error_category": category or None, "dollar_impact": repr(float(impact))}


def _editing(who: session.SignedIn, review: Review, codes: pd.DataFrame, inpatient: bool) -> None:
    rows = _editor_rows(review, codes)
    edited = st.data_editor(
        pd.DataFrame(rows, columns=["finding_id", "code_type", "submitted_code", "audited_code", "finding", "error_category",
                                    "dollar_impact"]),
        key=f"findings.{review.review_id}.{review.latest.revision}", num_rows="dynamic", hide_index=True,
        column_order=("code_type", "submitted_code", "audited_code", "finding", "error_category", "dollar_impact"),
        column_config={
            "code_type": st.column_config.SelectboxColumn("Code type", options=reviews.CODE_TYPES, required=True),
            "submitted_code": st.column_config.TextColumn("Submitted code", max_chars=16),
            "audited_code": st.column_config.TextColumn("Audited code", max_chars=16),
            "finding": st.column_config.SelectboxColumn("Finding", options=reviews.FINDINGS, required=True),
            "error_category": st.column_config.SelectboxColumn("Error category", options=reviews.CATEGORIES),
            "dollar_impact": st.column_config.NumberColumn("Dollar impact (negative = overpaid)", format="%.2f", step=0.01),
        })
    st.caption("One row per code: agree, revise (audited code differs), delete (audited code blank) or add (a missed "
               "code: submitted code blank). Every error needs a category; the same rules as an ingest apply.")
    drg = _drg_inputs(review, inpatient)
    typed = [_typed(row) for row in edited.to_dict("records")] + ([drg] if drg else [])
    left, right = st.columns(2)
    if left.button("Save draft", icon=":material/save:"):
        if reviews.change(Permission.REVIEW_CLAIMS, lambda: worklist.save_draft(reviews.review_db(), review.review_id, typed, who.user)):
            st.success("Saved. You can leave and resume this claim later.")
    if right.button("Complete the claim", type="primary", icon=":material/lock:"):
        def finish() -> Review:
            worklist.save_draft(reviews.review_db(), review.review_id, typed, who.user)
            return worklist.complete(reviews.review_db(), review.review_id, user=who.user, role=who.role_name, record=session.record)
        if reviews.change(Permission.REVIEW_CLAIMS, finish):
            st.rerun()


def _locked(who: session.SignedIn, review: Review) -> None:
    shown = pd.DataFrame([f.as_row() for f in review.findings]).drop(columns=["finding_id"])
    st.dataframe(shown, hide_index=True, column_config=tables.column_config(shown))
    history = pd.DataFrame([r.__dict__ for r in review.revisions])
    st.caption(f"Completed and locked (revision {review.latest.revision}). Findings are preliminary until the coder's "
               "rebuttal window closes or the coding manager decides a rebuttal.")
    with st.expander("Revisions"):
        st.dataframe(history, hide_index=True)
    with st.form(f"correct.{review.review_id}"):
        reason = st.text_input("Reason for a correction", max_chars=500)
        if st.form_submit_button("Start a correction"):
            if reviews.change(Permission.REVIEW_CLAIMS, lambda: worklist.start_correction(reviews.review_db(), review.review_id, who.user, reason)):
                st.rerun()


def worklist_section(who: session.SignedIn) -> str | None:
    """Draw the worklist; returns the claim key being reviewed (for the reveal form below it)."""
    st.subheader("Worklist")
    sample = _pick_sample()
    if sample is None:
        return None
    table = _claims_table(sample)
    st.dataframe(table, hide_index=True, column_config=tables.column_config(table))
    keys = table["claim_key"].tolist()
    status = dict(zip(table["claim_key"], table["status"], strict=True))
    if st.session_state.get(_CLAIM) not in keys:
        st.session_state[_CLAIM] = next((k for k in keys if status[k] != "completed"), keys[0])
    claim_key = st.selectbox("Claim", keys, key=_CLAIM, format_func=lambda k: f"{k} · {status[k]}")
    done = all(s == "completed" for s, spare in zip(table["status"], table["spare"], strict=True) if not spare)
    if done and sample.completed_at is None and st.button("Complete the sample", icon=":material/task_alt:"):
        if reviews.change(Permission.REVIEW_CLAIMS, lambda: worklist.complete_sample(
                reviews.review_db(), sample.sample_id, user=who.user, role=who.role_name, record=session.record)):
            st.success("The sample is completed.")
    con = session.connection()
    detail = claims.claim(con, claim_key)
    st.subheader(f"Claim {claim_key}")
    if detail is None:
        st.warning("This claim is no longer in the store (a later ingest replaced it); take a spare instead.")
        return claim_key
    st.caption(f"{md(detail['encounter_type'])} · service date {detail['service_date']:%Y-%m-%d} · billed "
               f"${detail['billed_amount']:,.2f} · coder {md(detail['coder_id'])} · facility {md(detail['facility_id'])} · "
               f"payer {md(detail['payer'])}")
    codes = claims.submitted_codes(con, claim_key)
    st.dataframe(codes, hide_index=True, column_config=tables.column_config(codes))
    review = reviews.change(Permission.REVIEW_CLAIMS, lambda: worklist.open_review(reviews.review_db(), sample.sample_id, claim_key, who.user))
    if review is None:
        return claim_key
    if review.locked:
        _locked(who, review)
    else:
        _editing(who, review, codes, detail["encounter_type"] == "inpatient")
    return claim_key
