"""The auditor's worklist on the Record review page: a sample's claims with their state, one claim's codes,
its findings being entered (a table per code, and a separate DRG finding for inpatient claims), save,
complete, correct, and complete the sample. Every change goes through review/ (rules, locks, the log)."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from audit.permissions import Permission
from config import settings
from queries.drg.grouper import DrgFindingProposal
from queries.formats import dollars
from review import claims, lifecycle, notes, worklist
from review.money import ClaimPayment, claim_payment, money_problem
from review.notes import FindingNotes
from review.report_content import Signer
from review.samples import Sample, claim_states, list_samples, load_sample
from review.worklist import Review
from views import blind_review, finding_notes, reviews, session, tables
from views.text import md

_SAMPLE, _CLAIM, _NEXT_CLAIM = "worklist.sample", "worklist.claim", "worklist.next_claim"
NOTE_LABELS = {"rationale": "Rationale", "reference": "Reference", "location": "Where documented"}
DRG_NOTE_LABELS = {"rationale": "DRG rationale", "reference": "DRG reference (OCG, Coding Clinic)", "location": "DRG documented in"}
STATUS = {None: "not started", "draft": "in progress", "completed": "completed"}
NO_DRG_FINDING = "(no DRG finding)"
INDEPENDENCE = ("I am independent of the coders and claims reviewed: I did not code, bill or supervise them, and I have "
                "no financial interest in the outcome of this review.")


def _pick_sample() -> Sample | None:
    rows = list_samples(reviews.review_db())
    if not rows:
        st.info("No sample has been drawn yet: draw one on the Audit sampling page.")
        return None
    open_first = [r for r in rows if not r["completed_at"]] + [r for r in rows if r["completed_at"]]  # newest first in each
    ids = [r["sample_id"] for r in open_first]
    labels = {r["sample_id"]: f"{r['sample_id']} · {r['method']} · {r['reviewed']}/{r['claims']} reviewed"
              + (" · completed" if r["completed_at"] else "") + (" · voided" if r["voided_at"] else "") for r in open_first}
    if st.session_state.get(_SAMPLE) not in ids:
        st.session_state[_SAMPLE] = ids[0]
    return load_sample(reviews.review_db(), st.selectbox("Sample", ids, format_func=labels.get, key=_SAMPLE))


def _claims_table(sample: Sample) -> pd.DataFrame:
    rows = claim_states(reviews.review_db(), sample.sample_id)
    strata = [s["label"] for s in sample.strata]
    replaced_by, replaces = dict(sample.replaced), {new: old for old, new in sample.replaced}
    return pd.DataFrame([{"selection": r["selection"], "claim_key": r["claim_key"], "spare": bool(r["spare"]),
                          "stratum": strata[r["stratum"]] if sample.spec.stratified else "",
                          "status": "replaced" if r["claim_key"] in replaced_by else STATUS[r["status"]],
                          "revision": r["revision"], "replaced_by": replaced_by.get(r["claim_key"], ""),
                          "replaces": replaces.get(r["claim_key"], "")} for r in rows])


def _editor_rows(review: Review, codes: pd.DataFrame, revealed: dict[str, FindingNotes] | None) -> list[dict[str, Any]]:
    """The editor's starting rows: the draft's code findings (a new review: one agree per submitted code), each
    with its number (as refusals name it), its claim line, its codes described and, when revealed, its notes."""
    saved = [f for f in review.findings if f.code_type != "MSDRG"]
    if saved or review.ever_completed:
        found = [{**f.as_row(), **(revealed or {}).get(f.finding_id, FindingNotes()).as_dict()} for f in saved]
    else:
        found = [{**row, **FindingNotes().as_dict()} for row in claims.first_findings(codes[codes.code_type != "MSDRG"])]
    if revealed is None:  # not revealed: the notes are left out, so saving keeps them as stored
        found = [{k: v for k, v in row.items() if k not in notes.FIELDS} for row in found]
    lines = claims.claim_lines(codes, found)
    return [{"number": i, "claim_line": line, "described": claims.described(row), **row,
             "dollar_impact": float(row["dollar_impact"] or 0)} for i, (row, line) in enumerate(zip(found, lines, strict=True), start=1)]


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    """A row from the editor as text for the rules: blanks None, the amount as typed (its shortest form)."""
    out = {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) or v == "" else v) for k, v in row.items()}
    amount = out.get("dollar_impact")
    out["dollar_impact"] = None if amount is None else repr(float(amount))
    return out


DRG_INPUTS = ("submitted", "audited", "finding", "category", "impact", *notes.FIELDS)


def _drg_base(review: Review) -> str:
    return f"drg.{review.review_id}.{review.latest.revision}"


def _drg_keys(base: str) -> dict[str, str]:
    """The DRG inputs' widget keys: one set per review revision (another claim's inputs never carry over) and per
    proposal taken (its generation, see _take_proposal)."""
    generation = st.session_state.get(f"{base}.generation", 0)
    return {name: f"{base}.{name}.{generation}" for name in DRG_INPUTS}


def _take_proposal(base: str, proposal: DrgFindingProposal, impact: float | None) -> None:
    """Take the proposal as the DRG finding, in one state change: the values go into the seed of a new
    generation of DRG inputs (new widget keys), never into the inputs on screen.

    Setting the five inputs' own keys was not atomic: the browser sends its widget values with every rerun
    request, and a request made while the callback's rerun was still drawing the inputs carried the old values
    of those it had not drawn yet, which then won over the callback's. Taking a revise this way kept the finding
    and lost its error category (the save refused "error_category is missing"). A new generation's inputs have
    no value in the browser, so they start from the seed, all of them, whatever request comes next.

    The dollar impact is set only when known (0.00 for agree); a revise whose dollars are unknown (no base rate,
    or no weight) keeps the amount the auditor typed, as do the DRG finding's notes."""
    keys = _drg_keys(base)
    typed = {name: st.session_state.get(keys[name]) for name in DRG_INPUTS}
    amount = claims.drg_finding_impact(proposal.finding, impact)
    st.session_state[f"{base}.seed"] = {
        **typed, "submitted": proposal.submitted_code or "", "audited": proposal.audited_code or "", "finding": proposal.finding,
        "category": proposal.error_category or "", "impact": typed["impact"] if amount is None else amount}
    st.session_state[f"{base}.generation"] = st.session_state.get(f"{base}.generation", 0) + 1


def _show_proposal(base: str, proposal: DrgFindingProposal) -> None:
    """What the grouper makes of the audited codes, live, and a button to take it as the DRG finding."""
    if proposal.finding is None:
        st.caption(f"No DRG finding can be proposed from the codes as audited: {md((proposal.reason or 'the grouper gave no DRG').rstrip('.'))}.")
        return
    base_rate = settings.load().drg_base_rate
    impact = proposal.dollars(base_rate)
    change = "the same as billed" if proposal.finding == "agree" else f"billed {proposal.submitted_code}"
    weight = ("" if proposal.weight_difference is None else
              f"; relative weight {proposal.weight_difference:+.4f}" + ("" if impact is None else f", {dollars(impact)} at the base rate"))
    edits = f" The MCE edits the codes as audited: {', '.join(proposal.mce_edits)}." if proposal.mce_edits else ""
    st.caption(f"Regrouped from the codes as audited (MS-DRG grouper and MCE): MS-DRG {md(proposal.audited_code)} "
               f"{md(proposal.title or '')}, {change}{weight}. Proposed DRG finding: {proposal.finding}.{edits}")
    st.form_submit_button("Use the proposed DRG finding", on_click=_take_proposal, args=(base, proposal, impact),
                          icon=":material/account_tree:")


def _drg_inputs(review: Review, proposal: DrgFindingProposal | None, billed: str | None,
                revealed: dict[str, FindingNotes] | None) -> dict[str, Any] | None:
    """The DRG finding of an inpatient claim (`proposal` None for other claims): typed, or taken from the
    grouper's proposal, which follows the code findings as they are edited.

    Drawn inside the claim's form (see _editing): choosing a finding or a category reruns nothing, and the
    browser sends every DRG input together with Save draft, Complete or Use the proposed DRG finding, so no
    request can carry one input's new value beside another's old one. The inputs start from the saved draft
    (or the proposal's seed) as widget defaults and their state is never written by the page: what the
    browser holds is what is sent."""
    if proposal is None:
        return None
    current = next((f for f in review.findings if f.code_type == "MSDRG"), None)
    base = _drg_base(review)
    keys = _drg_keys(base)
    stored_notes = (revealed or {}).get(current.finding_id, FindingNotes()) if current else FindingNotes()
    seeds = st.session_state.get(f"{base}.seed") or {
        "submitted": current.submitted_code if current else (billed or ""), "audited": current.audited_code if current else "",
        "finding": current.finding if current else NO_DRG_FINDING, "category": (current.error_category or "") if current else "",
        "impact": float(current.dollar_impact) if current else 0.0, **stored_notes.as_dict()}
    st.markdown("**DRG finding** (inpatient: the MS-DRG as billed and as the record supports)")
    _show_proposal(base, proposal)
    findings, categories = (NO_DRG_FINDING, *reviews.FINDINGS), ("", *reviews.CATEGORIES)
    cols = st.columns(5)
    submitted = cols[0].text_input("Billed MS-DRG", value=seeds["submitted"] or "", max_chars=3, key=keys["submitted"])
    audited = cols[1].text_input("Audited MS-DRG", value=seeds["audited"] or "", max_chars=3, key=keys["audited"])
    finding = cols[2].selectbox("DRG finding", findings, index=findings.index(seeds["finding"] or NO_DRG_FINDING),
                                key=keys["finding"])
    category = cols[3].selectbox("DRG error category", categories, index=categories.index(seeds["category"] or ""),
                                 key=keys["category"])
    impact = cols[4].number_input("DRG dollar impact", value=float(seeds["impact"] or 0.0), step=0.01, format="%.2f",
                                  key=keys["impact"])
    typed_notes = {}
    if revealed is not None:
        cols = st.columns([3, 1, 1])
        typed_notes = {name: column.text_input(label, value=seeds.get(name) or "", max_chars=notes.LIMITS[name], key=keys[name])
                       for column, (name, label) in zip(cols, DRG_NOTE_LABELS.items(), strict=True)}
    if finding == NO_DRG_FINDING:
        return None
    return {"finding_id": current.finding_id if current else None, "code_type": "MSDRG", "submitted_code": submitted or None,
            "audited_code": audited or None, "finding": finding, "error_category": category or None,
            "dollar_impact": repr(float(impact)), **typed_notes}


def _money_guide(payment: ClaimPayment, typed: list[dict[str, Any]]) -> None:
    """Say, before Complete is pressed, what the overpayment rule will refuse (review.money): the same sentence."""
    try:
        problem = money_problem([(row.get("code_type") or "", row.get("dollar_impact")) for row in typed], payment)
    except ArithmeticError:  # an amount that is not a number yet: the finding rules say so on save
        return
    if problem:
        st.warning(md(problem))


def _editing(who: session.SignedIn, review: Review, codes: pd.DataFrame, detail: dict[str, Any],
             payment: ClaimPayment) -> None:
    revealed = finding_notes.for_editing(who, review)
    rows = _editor_rows(review, codes, revealed)
    note_columns = list(notes.FIELDS) if revealed is not None else []
    if payment.drg_paid:
        st.info("This claim is paid by its DRG (inpatient with a billed MS-DRG): a code change moves money only by moving "
                "the DRG, so code-level findings carry no dollars (leave them at 0) and the payment difference goes on the "
                "DRG finding below. The proposed DRG finding fills it where the weights and base rate are known.")
    dollars_label = "Dollar impact (0: paid by the DRG)" if payment.drg_paid else "Dollar impact (negative = overpaid)"
    edited = st.data_editor(
        pd.DataFrame(rows, columns=["number", "claim_line", "described", "finding_id", "code_type", "submitted_code", "audited_code",
                                    "finding", "error_category", "dollar_impact", *note_columns]),
        key=f"findings.{review.review_id}.{review.latest.revision}", num_rows="dynamic", hide_index=True,
        column_order=("number", "claim_line", "code_type", "submitted_code", "audited_code", "described", "finding",
                      "error_category", "dollar_impact", *note_columns),
        disabled=("number", "claim_line", "described"),
        column_config={
            "number": st.column_config.NumberColumn("#", help="The finding's number, as a refused save names it", format="%d"),
            "claim_line": st.column_config.NumberColumn("Claim line", help="The line of the claim the submitted code is on",
                                                        format="%d"),
            "code_type": st.column_config.SelectboxColumn("Code type", options=reviews.CODE_TYPES, required=True),
            "submitted_code": st.column_config.TextColumn("Submitted code", max_chars=16),
            "audited_code": st.column_config.TextColumn("Audited code", max_chars=16),
            "described": st.column_config.TextColumn("Code titles (as opened or saved)", width="large"),
            "finding": st.column_config.SelectboxColumn("Finding", options=reviews.FINDINGS, required=True),
            "error_category": st.column_config.SelectboxColumn("Error category", options=reviews.CATEGORIES),
            "dollar_impact": st.column_config.NumberColumn(dollars_label, format="%.2f", step=0.01),
            **{name: st.column_config.TextColumn(label, max_chars=notes.LIMITS[name], width="medium")
               for name, label in NOTE_LABELS.items() if name in note_columns},
        })
    st.caption("One row per code: agree, revise (audited code differs), delete (audited code blank) or add (a missed "
               "code: submitted code blank). Every error needs a category; the same rules as an ingest apply. Say why "
               "(rationale), on what authority (e.g. OCG I.C.4.a, Coding Clinic 3Q 2023 p.12) and where the record "
               "documents it (e.g. H&P 2026-03-02): the coder sees it before rebutting. Notes are stored encrypted.")
    typed = [_typed(row) for row in edited.to_dict("records")]
    proposal = (claims.drg_proposal(session.connection(), review.claim_key, typed)
                if detail["encounter_type"] == "inpatient" else None)
    held = _held_version(review)
    with st.form(f"claim.{review.review_id}.{review.latest.revision}", enter_to_submit=False):
        drg = _drg_inputs(review, proposal, detail["billed_drg"], revealed)
        typed += [drg] if drg else []
        _money_guide(payment, typed)
        left, right = st.columns(2)
        save = left.form_submit_button("Save draft", icon=":material/save:")
        complete = right.form_submit_button("Complete the claim", type="primary", icon=":material/lock:")
    if save:
        saved = reviews.change(Permission.REVIEW_CLAIMS, lambda: worklist.save_draft(
            reviews.review_db(), review.review_id, typed, who.user, expected_version=held, vault=finding_notes.vault()))
        if saved is not None:
            st.session_state[_version_key(review)] = saved.version
            if revealed is not None:
                finding_notes.remember(saved, typed)
            st.success("Saved. You can leave and resume this claim later.")
    if complete:
        def finish() -> Review:
            done = worklist.complete(reviews.review_db(), review.review_id, con=session.connection(), rows=typed,
                                     expected_version=held, vault=finding_notes.vault(), user=who.user, role=who.role_name,
                                     record=session.record)
            reviews.refresh_report(done.sample_id)
            return done
        if reviews.change(Permission.REVIEW_CLAIMS, finish):
            st.rerun()
    if st.session_state[_version_key(review)] != worklist.get_review(reviews.review_db(), review.review_id).version:
        st.button("Load the latest saved findings", on_click=_reload, args=(review,), icon=":material/refresh:",
                  help="Someone saved this claim after you opened it: this shows their findings in place of your unsaved edits.")


def _version_key(review: Review) -> str:
    return f"worklist.version.{review.review_id}.{review.latest.revision}"


def _held_version(review: Review) -> str:
    """The version of the review this page loaded (kept across reruns until this page saves or reloads it): a
    save by someone else since then is refused rather than overwritten."""
    return st.session_state.setdefault(_version_key(review), review.version)


def _reload(review: Review) -> None:
    """Drop this page's unsaved edits and held version: the next run shows the findings as last saved."""
    base = _drg_base(review)
    for key in (_version_key(review), f"findings.{review.review_id}.{review.latest.revision}", f"{base}.seed"):
        st.session_state.pop(key, None)
    st.session_state[f"{base}.generation"] = st.session_state.get(f"{base}.generation", 0) + 1  # new DRG inputs, from the saved draft


def _locked(who: session.SignedIn, review: Review, codes: pd.DataFrame) -> None:
    rows = [f.as_row() for f in review.findings]
    lines = claims.claim_lines(codes, rows)
    shown = tables.displayed(pd.DataFrame([{"finding_number": f.position, "claim_line": line, **row, "code_titles": claims.described(row)}
                                           for f, row, line in zip(review.findings, rows, lines, strict=True)]).drop(columns=["finding_id"]))
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


def _replace_form(who: session.SignedIn, sample: Sample, claim_key: str) -> None:
    """Replace the claim by the next unused spare of its stratum when it cannot be reviewed (the reason kept)."""
    with st.expander("This claim cannot be reviewed"), st.form(f"replace.{sample.sample_id}.{claim_key}", enter_to_submit=False):
        reason = st.text_input("Why it cannot be reviewed", max_chars=500, placeholder="record not available",
                               help="Kept with the sample, shown in its report and recorded in the access log.")
        submitted = st.form_submit_button("Replace it with the next spare", icon=":material/swap_horiz:")
    if submitted:
        spare = reviews.change(Permission.REVIEW_CLAIMS, lambda: lifecycle.replace_claim(
            reviews.review_db(), sample.sample_id, claim_key, reason, user=who.user, role=who.role_name, record=session.record))
        if spare is not None:
            st.session_state[_NEXT_CLAIM] = spare  # the claim picker exists already: chosen at the rerun
            st.rerun()


def _complete_sample_form(who: session.SignedIn, sample: Sample) -> None:
    """Completing the sample freezes its report as version 1: the reviewer's name, credential and independence
    statement (and how the sample size was set, where the store cannot show it) go into it as typed here."""
    with st.form("worklist.complete_sample"):
        st.caption("Completing the sample freezes its report (version 1, with its SHA-256 in the access log). The "
                   "report carries these as typed:")
        left, right = st.columns(2)
        name = left.text_input("Reviewer name", value=who.user, max_chars=120)
        credential = right.text_input("Credential (e.g. CCS, CPC, RHIA)", max_chars=80)
        independence = st.text_area("Independence statement", value=INDEPENDENCE, max_chars=1_000)
        justification = st.text_area("How the sample size was set (if not from a probe sample)", max_chars=1_000)
        submitted = st.form_submit_button("Complete the sample", icon=":material/task_alt:")
    if submitted and reviews.change(Permission.REVIEW_CLAIMS, lambda: worklist.complete_sample(
            reviews.review_db(), sample.sample_id, con=session.connection(), user=who.user, role=who.role_name,
            record=session.record, signer=Signer(name.strip(), credential.strip(), independence.strip()),
            justification=justification)):
        st.success("The sample is completed and its report frozen as version 1 (Audit sampling page).")


def worklist_section(who: session.SignedIn) -> str | None:
    """Draw the worklist; returns the claim key being reviewed (for the reveal form below it)."""
    st.subheader("Worklist")
    sample = _pick_sample()
    if sample is None:
        return None
    table = _claims_table(sample)
    shown = tables.displayed(table)
    st.dataframe(shown, hide_index=True, column_config=tables.column_config(shown))
    reviews.replacements_table(sample.sample_id)
    if sample.void_sentence:
        st.warning(md(sample.void_sentence))
        return None
    keys = table["claim_key"].tolist()
    status = dict(zip(table["claim_key"], table["status"], strict=True))
    if _NEXT_CLAIM in st.session_state:
        st.session_state[_CLAIM] = st.session_state.pop(_NEXT_CLAIM)
    if st.session_state.get(_CLAIM) not in keys:
        st.session_state[_CLAIM] = next((k for k in sample.claim_keys if status[k] != "completed"), keys[0])
    claim_key = st.selectbox("Claim", keys, key=_CLAIM, format_func=lambda k: f"{k} · {status[k]}")
    blind_on = blind_review.wanted(sample.sample_id)
    if sample.completed_at is None and not worklist.claims_waiting(reviews.review_db(), sample.sample_id):
        _complete_sample_form(who, sample)
    if status[claim_key] == "replaced":
        st.info(f"Claim {claim_key} was replaced by spare {dict(sample.replaced)[claim_key]} and is no longer reviewed.")
        return claim_key
    if claim_key in sample.claim_keys and status[claim_key] != "completed" and sample.completed_at is None:
        _replace_form(who, sample, claim_key)
    con = session.connection()
    detail = claims.claim(con, claim_key)
    st.subheader(f"Claim {claim_key}")
    if detail is None:
        st.warning("This claim is no longer in the store (a later ingest replaced it); replace it with a spare above.")
        return claim_key
    review = reviews.change(Permission.REVIEW_CLAIMS, lambda: worklist.open_review(reviews.review_db(), sample.sample_id, claim_key, who.user))
    blind = blind_review.state(who, review, blind_on) if review is not None else None
    hidden = blind is not None and blind.hidden
    payment = claim_payment(con, claim_key)
    billed = dollars(detail["billed_amount"])
    paid = "not known" if payment.paid is None else dollars(payment.paid)
    st.caption(f"{md(detail['encounter_type'])} · service date {detail['service_date']:%Y-%m-%d} · billed "  # $ escaped: two start math
               f"{md(billed)} · paid {md(paid)} · coder {md(detail['coder_id'])} · facility {md(detail['facility_id'])} · "
               f"payer {md(detail['payer'])}" + (f" · billed MS-DRG {md(detail['billed_drg'])}" if detail["billed_drg"] and not hidden else ""))
    if hidden and review is not None:
        blind_review.entry_form(who, review, inpatient=detail["encounter_type"] == "inpatient")
        return claim_key
    codes = claims.submitted_codes(con, claim_key)
    shown = tables.displayed(codes)
    st.dataframe(shown, hide_index=True, column_config=tables.column_config(shown))
    if review is None:
        return claim_key
    if blind is not None and blind_review.comparison(who, review, blind, codes, detail["billed_drg"], _held_version(review)):
        _reload(review)
        st.rerun()
    if review.locked:
        _locked(who, review, codes)
    else:
        _editing(who, review, codes, detail, payment)
    return claim_key
