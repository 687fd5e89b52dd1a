"""Coder rebuttal, per claim: within the rebuttal window (CODEAUDIT_REBUTTAL_DAYS from the claim's first
completion, default 14 days) the coder of a claim rebuts its error findings together, in one claim rebuttal
naming each finding disputed with its own comment. The coding manager decides the claim rebuttal once,
accepting or rejecting each finding it names: an accepted finding is corrected, in one new completed revision
(a revised or deleted code becomes agree, an added code is withdrawn); a rejected one stands.

A decision that accepts findings regroups the claim's final codes (the submitted codes with the findings that
stand) with the MS-DRG grouper, and the claim's DRG finding must name the DRG they group to. When the manager
ruled on the DRG finding too (accepted or rejected its rebuttal) and the codes disagree with it, the decision
is refused, naming both DRGs: the manager's two rulings contradict each other. When the DRG finding was not
disputed, the accepted code findings move the DRG and the decision carries the regrouped DRG finding, priced as
the relative-weight difference at the base rate (CODEAUDIT_DRG_BASE_RATE), or is refused when it cannot be
priced or the auditor's DRG finding did not match the auditor's own codes (the auditor corrects the review).

Until the window closes, or the claim's rebuttal is decided, its findings are preliminary and the metrics
leave them out; a pending rebuttal keeps them preliminary past the window until it is decided. A claim is
rebutted once for each time its auditor completes it (review/rebuttal_state.py)."""
from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from audit.events import AccessEvent
from config import settings
from queries.drg.grouper import FindingMismatch, audited_codes, propose_drg_finding
from queries.drg.grouping import drg_weights, regroup, stored_claim
from review.db import Record, ReviewDb, ReviewError, emit, iso, utc_now
from review.integrity import revision_sha256
from review.money import check_claim_money, claim_payment
from review.rebuttal_state import current_claim_rebuttal
from review.sql_files import sql
from review.worklist import Finding, Review, load_review, publish, rebuttal_days
from review.worklist import _write_findings as write_findings

MAX_COMMENT = 2_000


def finding_label(finding: Any) -> str:
    """A finding as a coder and a manager name it: 'ICD10CM_DX N170 delete', 'MSDRG 602 → 603 revise'.
    `finding` is a Finding or a table row with the same fields (a missing code may be None or NaN)."""
    def code(value: object) -> str:
        return "" if value is None or value != value else str(value)

    submitted, audited = code(finding.submitted_code), code(finding.audited_code)
    codes = f"{submitted} → {audited}" if finding.finding == "revise" else (submitted or audited)
    return f"{finding.code_type} {codes} {finding.finding}"


def rebut(db: ReviewDb, review_id: str, disputes: Mapping[str, str], *, coder_id: str | None, claim_coder_id: str,
          user: str, role: str, record: Record | None, now: datetime | None = None) -> str:
    """Record a coder's rebuttal of their own claim: `disputes` maps each error finding disputed (by finding id)
    to why it is wrong. Returns the claim rebuttal's id. `claim_coder_id` is the claim's coder as the store
    holds it (the caller reads it where it scopes the coder)."""
    moment = now or utc_now()
    if not coder_id:
        raise ReviewError("Your account has no coder id, so no claim is yours to rebut; ask an administrator to set it.")
    if claim_coder_id != coder_id:
        raise ReviewError("This claim is not one of yours; you may rebut findings on your own claims only.")
    comments = {finding_id: text.strip() for finding_id, text in disputes.items() if text.strip()}
    if not comments:
        raise ReviewError("Say why for at least one finding you dispute (what the record supports and where).")
    with db.transaction() as conn:
        review = load_review(conn, review_id)
        completed = [r for r in review.revisions if r.status == "completed"]
        errors = {f.finding_id: f for f in review.completed_findings if f.is_error}
        if not completed or any(finding_id not in errors for finding_id in comments):
            raise ReviewError("Only completed error findings (revise, add or delete) can be rebutted.")
        for finding_id, text in comments.items():
            if len(text) > MAX_COMMENT:
                raise ReviewError(f"Shorten the comment on {finding_label(errors[finding_id])} to {MAX_COMMENT:,} characters.")
        closes = datetime.fromisoformat(completed[0].completed_at) + timedelta(days=rebuttal_days())
        if moment > closes:
            raise ReviewError(f"The rebuttal window for this claim closed on {closes:%Y-%m-%d %H:%M} UTC; its findings are final.")
        if any(r["decided_at"] is None for r in conn.execute(sql("store/claim_rebuttals_of_review"), (review_id,))) or \
                current_claim_rebuttal(conn, review_id, review.revisions) is not None:
            raise ReviewError("This claim has been rebutted already; a claim is rebutted once, naming every finding it disputes.")
        claim_rebuttal_id = uuid.uuid4().hex[:16]
        conn.execute(sql("store/claim_rebuttal_insert"), (claim_rebuttal_id, review_id, coder_id, user, iso(moment)))
        conn.executemany(sql("store/rebuttal_insert"), [
            (uuid.uuid4().hex[:16], review_id, finding_id, coder_id, user, iso(moment), text, claim_rebuttal_id)
            for finding_id, text in comments.items()])
        publish(conn, review_id)
        emit(record, AccessEvent(user=user, role=role, action="rebuttal", resource=f"review:{review_id}",
                                 claim_keys=(review.claim_key,),
                                 details={"claim_rebuttal_id": claim_rebuttal_id, "coder_id": coder_id,
                                          "findings": list(comments)}))
    return claim_rebuttal_id


@dataclass(frozen=True)
class ClaimDecision:
    """What a decision did: each named finding's decision, the revision it made (None when nothing was
    accepted), the MS-DRG the final codes group to (None when not regrouped) and the DRG finding it carried
    (None when the DRG finding already matched)."""

    claim_rebuttal_id: str
    decisions: dict[str, str]
    revision: int | None
    regrouped_drg: str | None
    carried_drg: Finding | None

    @property
    def summary(self) -> str:
        values = set(self.decisions.values())
        return values.pop() if len(values) == 1 else "partly accepted"


def _withdrawn(finding: Finding) -> Finding | None:
    """The finding as an accepted rebuttal leaves it: the submitted code stands."""
    if finding.finding == "add":
        return None
    return replace(finding, audited_code=finding.submitted_code, finding="agree", error_category=None, dollar_impact="0.00")


def _grouped(store: duckdb.DuckDBPyConnection, claim_key: str, findings: list[Finding], billed: str | None):
    """The DRG finding the code findings support, against `billed` (the DRG finding's billed DRG)."""
    encounter, submitted, _ = stored_claim(store, claim_key)
    codes = audited_codes(submitted, [f for f in findings if f.code_type != "MSDRG"])
    return propose_drg_finding(billed, regroup(encounter, codes), drg_weights(store))


def _matched_drg(store: duckdb.DuckDBPyConnection, review: Review, final: list[Finding], named: list[str],
                 accepted: set[str]) -> tuple[str | None, Finding | None]:
    """The MS-DRG the final codes group to and the DRG finding to carry (None when the claim's DRG finding
    already names it); refuses a decision whose final codes and DRG finding disagree (module docstring)."""
    drg = next((f for f in final if f.code_type == "MSDRG"), None)
    if drg is None:
        return None, None
    try:
        proposal = _grouped(store, review.claim_key, final, drg.submitted_code)
    except (KeyError, FindingMismatch) as exc:
        raise ReviewError(f"The claim's final codes cannot be regrouped ({exc}); the auditor must correct the review first.") from exc
    if proposal.audited_code is None:
        raise ReviewError(f"The claim's final codes cannot be grouped ({proposal.reason}); the auditor must correct the review first.")
    grouped, says = proposal.audited_code, drg.audited_code
    if grouped == says:
        return grouped, None
    if drg.finding_id in named:
        if drg.finding_id not in accepted:
            todo = "accept the DRG finding's rebuttal too, or reject the code findings' rebuttals that move the DRG."
        elif set(named) - accepted:
            todo = "accept the rebuttals of the code findings that move the DRG as well, or reject the DRG finding's rebuttal."
        else:
            todo = "reject the DRG finding's rebuttal (the coder did not dispute the code findings that move the DRG)."
        raise ReviewError(f"The claim's final codes group to MS-DRG {grouped}, but its DRG finding would say {says}: {todo}")
    before = _grouped(store, review.claim_key, review.completed_findings, drg.submitted_code)
    if before.audited_code != says:
        raise ReviewError(f"The review's DRG finding says MS-DRG {says}, but the auditor's codes group to {before.audited_code}: "
                          "the auditor must correct the review before this decision.")
    if proposal.finding == "agree":
        return grouped, replace(drg, audited_code=grouped, finding="agree", error_category=None, dollar_impact="0.00")
    dollars = proposal.dollars(settings.load().drg_base_rate)
    if dollars is None:
        raise ReviewError(f"The claim's final codes group to MS-DRG {grouped}, not {says}, and the change cannot be priced "
                          "(no relative weights or CODEAUDIT_DRG_BASE_RATE): the auditor must correct the review's DRG finding.")
    return grouped, replace(drg, audited_code=grouped, finding="revise", error_category="drg",
                            dollar_impact=str(Decimal(str(dollars)).quantize(Decimal("0.01"))))


def _pending(conn: sqlite3.Connection, claim_rebuttal_id: str, decisions: Mapping[str, bool]) -> tuple[list[str], Review]:
    """The findings a pending claim rebuttal names, in order, and its review; refuses what cannot be decided."""
    head = conn.execute(sql("store/claim_rebuttal"), (claim_rebuttal_id,)).fetchone()
    if head is None or head["decided_at"] is not None:
        raise ReviewError("This rebuttal is not pending any more (decided already, or unknown).")
    named = [r["finding_id"] for r in conn.execute(sql("store/rebuttals_of_claim_rebuttal"), (claim_rebuttal_id,))]
    if set(decisions) != set(named):
        raise ReviewError(f"Accept or reject each of the {len(named)} findings the rebuttal names, then decide again.")
    review = load_review(conn, head["review_id"])
    if not review.locked:
        raise ReviewError("The auditor is correcting this review; decide once the correction is completed.")
    return named, review


def decide(db: ReviewDb, claim_rebuttal_id: str, decisions: Mapping[str, bool], *, store: duckdb.DuckDBPyConnection,
           user: str, role: str, comment: str, record: Record | None, now: datetime | None = None) -> ClaimDecision:
    """The coding manager's one decision on a pending claim rebuttal: `decisions` maps each finding it names
    (by finding id) to True (accept: corrected) or False (reject: it stands). `store` is a read connection
    to the coding store, to regroup the claim's final codes and read what was paid: the corrected findings
    must keep the overpayment rule (review.money; withdrawing an underpayment can leave a claim overpaid by more
    than was paid, which is refused with nothing decided). The grouper runs before the write transaction
    (it may take a second), which then refuses the decision if the review changed meanwhile."""
    moment = now or utc_now()
    with db.connect() as conn:
        named, review = _pending(conn, claim_rebuttal_id, decisions)
    accepted = {finding_id for finding_id in named if decisions[finding_id]}
    final, regrouped, carried = review.completed_findings, None, None
    if accepted:
        kept = [_withdrawn(f) if f.finding_id in accepted else f for f in review.completed_findings]
        final = [f for f in kept if f is not None]
        regrouped, carried = _matched_drg(store, review, final, named, accepted)
        final = [carried if carried is not None and f.finding_id == carried.finding_id else f for f in final]
    with db.transaction() as conn:
        named, now_review = _pending(conn, claim_rebuttal_id, decisions)
        if now_review.latest.revision != review.latest.revision:
            raise ReviewError("The review changed while you decided (a correction); look at it again and decide again.")
        revision = None
        if accepted:
            revision = review.latest.revision + 1
            check_claim_money(final, claim_payment(store, review.claim_key))
            reason = f"rebuttal {claim_rebuttal_id} decided by {user}: {len(accepted)} of {len(named)} findings accepted"
            conn.execute(sql("store/revision_insert"), (review.review_id, revision, "completed", user, iso(moment), iso(moment), reason))
            write_findings(conn, review.review_id, revision, final)
        text = comment.strip()[:MAX_COMMENT]
        outcome = {finding_id: "accepted" if finding_id in accepted else "rejected" for finding_id in named}
        for row in conn.execute(sql("store/rebuttals_of_claim_rebuttal"), (claim_rebuttal_id,)).fetchall():
            conn.execute(sql("store/rebuttal_decide"), (outcome[row["finding_id"]], user, iso(moment), text, row["rebuttal_id"]))
        conn.execute(sql("store/claim_rebuttal_decide"), (user, iso(moment), text, revision, regrouped, claim_rebuttal_id))
        publish(conn, review.review_id)
        result = ClaimDecision(claim_rebuttal_id, outcome, revision, regrouped, carried)
        emit(record, AccessEvent(user=user, role=role, action="rebuttal_decision", resource=f"review:{review.review_id}",
                                 claim_keys=(review.claim_key,),
                                 details={"claim_rebuttal_id": claim_rebuttal_id, "decision": result.summary,
                                          "decisions": outcome, "revision": revision, "regrouped_drg": regrouped,
                                          "carried_drg_finding": None if carried is None else {
                                              "finding_id": carried.finding_id, "audited_code": carried.audited_code,
                                              "finding": carried.finding, "dollar_impact": carried.dollar_impact},
                                          "sha256": None if revision is None else revision_sha256(conn, review.review_id, revision)}))
    return result


def rebuttal_rows(db: ReviewDb, *, pending_only: bool = False) -> list[dict[str, Any]]:
    """Each rebutted finding with its claim rebuttal, pending first (the coding manager's list)."""
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(sql("store/rebuttals"), {"pending_only": int(pending_only)})]


def closed_reviews(db: ReviewDb, review_ids: list[str]) -> set[str]:
    """Of these reviews, those whose claim cannot be rebutted now: a claim rebuttal is pending, or the claim was
    rebutted since the auditor last completed it."""
    closed = set()
    with db.connect() as conn:
        for review_id in review_ids:
            review = load_review(conn, review_id)
            pending = any(r["decided_at"] is None for r in conn.execute(sql("store/claim_rebuttals_of_review"), (review_id,)))
            if pending or current_claim_rebuttal(conn, review_id, review.revisions) is not None:
                closed.add(review_id)
    return closed

