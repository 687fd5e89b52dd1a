"""Coder rebuttal: within the rebuttal window (CODEAUDIT_REBUTTAL_DAYS from the claim's first completion,
default 14 days) the coder of a claim may rebut an error finding on it, with a comment; the coding manager
accepts the rebuttal (the finding is corrected, as a new completed revision: a revised or deleted code
becomes agree, an added code is withdrawn) or rejects it (the finding stands). Until the window closes, or
every error finding on the claim is decided, the claim's findings are preliminary and the metrics leave
them out; a pending rebuttal keeps them preliminary past the window until it is decided."""
from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timedelta
from typing import Any

from audit.events import AccessEvent
from review.db import Record, ReviewDb, ReviewError, emit, iso, utc_now
from review.integrity import revision_sha256
from review.sql_files import sql
from review.worklist import Finding, load_review, publish, rebuttal_days

MAX_COMMENT = 2_000


def rebut(db: ReviewDb, review_id: str, finding_id: str, *, coder_id: str | None, claim_coder_id: str, user: str,
          role: str, comment: str, record: Record | None, now: datetime | None = None) -> str:
    """Record a coder's rebuttal of one error finding on their own claim; returns the rebuttal id.
    `claim_coder_id` is the claim's coder as the store holds it (the caller reads it where it scopes the coder)."""
    moment = now or utc_now()
    if not coder_id:
        raise ReviewError("Your account has no coder id, so no claim is yours to rebut; ask an administrator to set it.")
    if claim_coder_id != coder_id:
        raise ReviewError("This finding is not on one of your claims; you may rebut findings on your own claims only.")
    text = comment.strip()
    if not text or len(text) > MAX_COMMENT:
        raise ReviewError(f"Explain the rebuttal in 1 to {MAX_COMMENT:,} characters (what the record supports and where).")
    with db.transaction() as conn:
        review = load_review(conn, review_id)
        completed = [r for r in review.revisions if r.status == "completed"]
        finding = next((f for f in review.completed_findings if f.finding_id == finding_id), None)
        if finding is None or not finding.is_error:
            raise ReviewError("Only a completed error finding (revise, add or delete) can be rebutted.")
        closes = datetime.fromisoformat(completed[0].completed_at) + timedelta(days=rebuttal_days())
        if moment > closes:
            raise ReviewError(f"The rebuttal window for this claim closed on {closes:%Y-%m-%d %H:%M} UTC; the finding is final.")
        if any(r["finding_id"] == finding_id for r in conn.execute(sql("store/rebuttals_of_review"), (review_id,))):
            raise ReviewError("This finding has been rebutted already; a finding is rebutted once.")
        rebuttal_id = uuid.uuid4().hex[:16]
        conn.execute(sql("store/rebuttal_insert"), (rebuttal_id, review_id, finding_id, coder_id, user, iso(moment), text))
        publish(conn, review_id)
        emit(record, AccessEvent(user=user, role=role, action="rebuttal", resource=f"review:{review_id}",
                                 claim_keys=(review.claim_key,),
                                 details={"rebuttal_id": rebuttal_id, "finding_id": finding_id, "coder_id": coder_id}))
    return rebuttal_id


def _withdrawn(finding: Finding) -> Finding | None:
    """The finding as an accepted rebuttal leaves it: the submitted code stands."""
    if finding.finding == "add":
        return None
    return Finding(finding.finding_id, finding.code_type, finding.submitted_code, finding.submitted_code, "agree", None, "0.00")


def decide(db: ReviewDb, rebuttal_id: str, *, accept: bool, user: str, role: str, comment: str,
           record: Record | None, now: datetime | None = None) -> str:
    """The coding manager's decision on a pending rebuttal; accepting corrects the finding in a new revision.
    Returns the decision ('accepted' or 'rejected')."""
    moment = now or utc_now()
    with db.transaction() as conn:
        row = conn.execute(sql("store/rebuttal"), (rebuttal_id,)).fetchone()
        if row is None or row["decision"] is not None:
            raise ReviewError("This rebuttal is not pending any more (decided already, or unknown).")
        review = load_review(conn, row["review_id"])
        if not review.locked:
            raise ReviewError("The auditor is correcting this review; decide once the correction is completed.")
        revision = None
        if accept:
            revision = review.latest.revision + 1
            kept = [f if f.finding_id != row["finding_id"] else _withdrawn(f) for f in review.completed_findings]
            findings = [f for f in kept if f is not None]
            reason = f"rebuttal {rebuttal_id} accepted by {user}"
            conn.execute(sql("store/revision_insert"), (review.review_id, revision, "completed", user, iso(moment), iso(moment), reason))
            conn.executemany(sql("store/finding_insert"), [
                (review.review_id, revision, f.finding_id, i, f.code_type, f.submitted_code, f.audited_code, f.finding,
                 f.error_category, f.dollar_impact) for i, f in enumerate(findings, start=1)])
        conn.execute(sql("store/rebuttal_decide"), ("accepted" if accept else "rejected", user, iso(moment), comment.strip()[:MAX_COMMENT], rebuttal_id))
        publish(conn, review.review_id)
        emit(record, AccessEvent(user=user, role=role, action="rebuttal_decision", resource=f"review:{review.review_id}",
                                 claim_keys=(review.claim_key,),
                                 details={"rebuttal_id": rebuttal_id, "finding_id": row["finding_id"],
                                          "decision": "accepted" if accept else "rejected", "revision": revision,
                                          "sha256": None if revision is None else revision_sha256(conn, review.review_id, revision)}))
    return "accepted" if accept else "rejected"


def rebuttal_rows(db: ReviewDb, *, pending_only: bool = False) -> list[dict[str, Any]]:
    """Rebuttals with the finding they name, pending first (the coding manager's list)."""
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(sql("store/rebuttals"), {"pending_only": int(pending_only)})]


def review_rebuttals(conn: sqlite3.Connection, review_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sql("store/rebuttals_of_review"), (review_id,))]
