"""The review worklist: an auditor opens a sampled claim, records findings per code (agree, revise, add,
delete, with error category and dollar impact, and a DRG finding for inpatient claims), saves part-way,
resumes, and completes the claim, then the sample.

A completed revision is locked. A correction is a new revision (with its reason, logged as
`review_correct`) that starts from the last completed one and keeps it. Every typed finding passes the
rules ingest applies (queries.finding_rules) and is stored normalised as ingest would store it.

Completing, correcting and deciding rebuttals publish the review's latest completed revision into
published_findings, with the time after which its findings are final (docs/SAMPLING.md, rebuttal), and bump
the publication version: every reader of the metrics reloads at its next query (queries/reviewed.py).
"""
from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import duckdb

from audit.events import AccessEvent
from audit.vault import PhiVault
from config import settings
from queries.finding_rules import FIELDS, check_findings
from review import notes, report_versions
from review.db import Record, ReviewDb, ReviewError, emit, iso, utc_now
from review.integrity import revision_sha256
from review.lifecycle import refuse_if_closed
from review.money import check_claim_money, claim_payment
from review.notes import SealedNotes
from review.rebuttal_state import current_claim_rebuttal
from review.report_content import Signer
from review.samples import Sample, load_sample
from review.sql_files import sql

FINDING_FIELDS = FIELDS


@dataclass(frozen=True)
class Finding:
    finding_id: str
    code_type: str
    submitted_code: str | None
    audited_code: str | None
    finding: str
    error_category: str | None
    dollar_impact: str  # decimal text, negative = overpaid
    notes: SealedNotes | None = None  # rationale, reference, where documented: sealed (review/notes.py)
    position: int = 0  # its line in the revision, from 1, in the order entered (0 before it is saved)

    @property
    def is_error(self) -> bool:
        return self.finding != "agree"

    def as_row(self) -> dict[str, str | None]:
        return {"finding_id": self.finding_id, **{name: getattr(self, name) for name in FINDING_FIELDS}}


@dataclass(frozen=True)
class Revision:
    revision: int
    status: str
    author: str
    saved_at: str
    completed_at: str | None
    reason: str


@dataclass(frozen=True)
class Review:
    review_id: str
    sample_id: str
    claim_key: str
    revisions: list[Revision]
    findings: list[Finding]          # of the latest revision
    completed_findings: list[Finding]  # of the latest completed revision (what the metrics read)

    @property
    def latest(self) -> Revision:
        return self.revisions[-1]

    @property
    def locked(self) -> bool:
        return self.latest.status == "completed"

    @property
    def ever_completed(self) -> bool:
        return any(r.status == "completed" for r in self.revisions)

    @property
    def version(self) -> str:
        """What a save must name to change this review: its latest revision and when it was last saved. A page
        holds the version it loaded, so a save by someone else in between is refused, never overwritten."""
        return f"{self.latest.revision}/{self.latest.saved_at}"


class StaleReview(ReviewError):
    """Someone saved the review after the caller loaded it; nothing was saved."""


def rebuttal_days() -> int:
    return settings.load().rebuttal_days


def _findings(conn: sqlite3.Connection, review_id: str, revision: int) -> list[Finding]:
    sealed = notes.stored(conn, review_id, revision)
    return [Finding(r["finding_id"], r["code_type"], r["submitted_code"], r["audited_code"], r["finding"],
                    r["error_category"], r["dollar_impact"], sealed.get(r["finding_id"]), r["position"])
            for r in conn.execute(sql("store/findings"), (review_id, revision))]


def load_review(conn: sqlite3.Connection, review_id: str) -> Review:
    row = conn.execute(sql("store/review"), (review_id,)).fetchone()
    if row is None:
        raise ReviewError(f"There is no review {review_id!r}; open the claim from its sample's worklist.")
    revisions = [Revision(**dict(r)) for r in conn.execute(sql("store/revisions"), (review_id,))]
    completed = [r for r in revisions if r.status == "completed"]
    return Review(review_id, row["sample_id"], row["claim_key"], revisions, _findings(conn, review_id, revisions[-1].revision),
                  _findings(conn, review_id, completed[-1].revision) if completed else [])


def get_review(db: ReviewDb, review_id: str) -> Review:
    with db.connect() as conn:
        return load_review(conn, review_id)


def open_review(db: ReviewDb, sample_id: str, claim_key: str, user: str, now: datetime | None = None) -> Review:
    """The review of a sampled claim (or spare), opened with an empty draft the first time."""
    with db.transaction() as conn:
        refuse_if_closed(conn, sample_id, claim_key)
        existing = conn.execute(sql("store/review_of_claim"), (sample_id, claim_key)).fetchone()
        if existing is not None:
            return load_review(conn, existing["review_id"])
        if conn.execute(sql("store/sample_claim"), (sample_id, claim_key)).fetchone() is None:
            raise ReviewError(f"Claim {claim_key} is not in sample {sample_id}; open claims from the sample's worklist.")
        review_id = uuid.uuid4().hex[:16]
        stamp = iso(now or utc_now())
        conn.execute(sql("store/review_insert"), (review_id, sample_id, claim_key, user, stamp))
        conn.execute(sql("store/revision_insert"), (review_id, 1, "draft", user, stamp, None, ""))
        return load_review(conn, review_id)


def checked(rows: Sequence[Mapping[str, object]]) -> list[Finding]:
    """Typed findings through the rules ingest applies; the first broken rule is refused in ingest's words.
    A row's notes (review/notes.py) are checked for length here and sealed when saved."""
    results = check_findings([{name: row.get(name) for name in FINDING_FIELDS} for row in rows])
    findings = []
    for i, (row, result) in enumerate(zip(rows, results, strict=True), start=1):
        if result.problem is not None:
            raise ReviewError(f"Finding {i}: {result.problem}. Nothing was saved; correct it and save again.")
        notes.typed(row, i)
        findings.append(Finding(str(row.get("finding_id") or uuid.uuid4().hex[:12]), result.code_type, result.submitted_code,
                                result.audited_code, result.finding, result.error_category, result.dollar_impact,
                                position=i))
    return findings


def _write_findings(conn: sqlite3.Connection, review_id: str, revision: int, findings: Sequence[Finding]) -> None:
    conn.execute(sql("store/findings_clear"), (review_id, revision))
    conn.executemany(sql("store/finding_insert"), [
        (review_id, revision, f.finding_id, i, f.code_type, f.submitted_code, f.audited_code, f.finding, f.error_category,
         f.dollar_impact) for i, f in enumerate(findings, start=1)])
    notes.write(conn, review_id, revision, {f.finding_id: f.notes for f in findings if f.notes is not None})


def _save(conn: sqlite3.Connection, review: Review, findings: Sequence[Finding], user: str, expected_version: str | None,
          moment: datetime) -> None:
    if review.locked:
        raise ReviewError("This review is completed and locked; start a correction to change it.")
    _check_version(review, expected_version)
    _write_findings(conn, review.review_id, review.latest.revision, findings)
    conn.execute(sql("store/revision_saved"), (user, iso(moment), review.review_id, review.latest.revision))


def _check_version(review: Review, expected_version: str | None) -> None:
    if expected_version is not None and expected_version != review.version:
        latest = review.latest
        raise StaleReview(f"{latest.author} saved this claim at {latest.saved_at[11:16]} UTC after you opened it, so nothing of "
                          "yours was saved: keep a copy of your changes, load the latest findings and enter them again.")


def save_draft(db: ReviewDb, review_id: str, rows: Sequence[Mapping[str, object]], user: str,
               now: datetime | None = None, *, expected_version: str | None = None,
               vault: PhiVault | None = None) -> Review:
    """Save the draft's findings (all of them, as shown in the worklist). A completed revision is locked.
    `expected_version`: the `Review.version` the caller loaded; a save made since is refused (StaleReview).
    A row with any note field (rationale, reference, location) has its notes sealed with `vault` (blank: none);
    a row without note fields keeps the notes its finding already has."""
    findings = checked(rows)
    with db.transaction() as conn:
        review = load_review(conn, review_id)
        refuse_if_closed(conn, review.sample_id, review.claim_key)
        _save(conn, review, _with_notes(review, findings, rows, vault), user, expected_version, now or utc_now())
        return load_review(conn, review_id)


def _with_notes(review: Review, findings: list[Finding], rows: Sequence[Mapping[str, object]],
                vault: PhiVault | None) -> list[Finding]:
    kept = {f.finding_id: f.notes for f in review.findings}
    out = []
    for i, (finding, row) in enumerate(zip(findings, rows, strict=True), start=1):
        typed = notes.typed(row, i)
        if typed is None:
            sealed = kept.get(finding.finding_id)
        elif typed.empty:
            sealed = None
        elif vault is None:
            raise ValueError("saving a finding's notes needs the vault to seal them")
        else:
            sealed = notes.seal(vault, review.review_id, finding.finding_id, typed)
        out.append(replace(finding, notes=sealed))
    return out


def start_correction(db: ReviewDb, review_id: str, user: str, reason: str, now: datetime | None = None) -> Review:
    """A new draft revision starting from the last completed one, which stays as it was."""
    if not reason.strip():
        raise ReviewError("Say why the completed review needs a correction; the reason is kept with the new revision.")
    with db.transaction() as conn:
        review = load_review(conn, review_id)
        refuse_if_closed(conn, review.sample_id, review.claim_key)
        if not review.locked:
            return review
        revision = review.latest.revision + 1
        conn.execute(sql("store/revision_insert"), (review_id, revision, "draft", user, iso(now or utc_now()), None, reason.strip()[:500]))
        _write_findings(conn, review_id, revision, review.findings)
        return load_review(conn, review_id)


def complete(db: ReviewDb, review_id: str, *, con: duckdb.DuckDBPyConnection, user: str, role: str, record: Record | None,
             rows: Sequence[Mapping[str, object]] | None = None, expected_version: str | None = None,
             vault: PhiVault | None = None, now: datetime | None = None) -> Review:
    """Lock the draft; publish it for the metrics; record `review_complete` (or `review_correct` for a later
    revision), with the SHA-256 of the revision (review/integrity.py), inside the transaction. `rows`, when
    given, are saved first in the same transaction (as save_draft, with its version check): the claim is saved
    and completed together or not at all (their notes sealed with `vault`, as save_draft does). `con` reads the coding store (read-only) for what was paid on the
    claim: findings that break the overpayment rule (review.money) are refused and nothing is saved."""
    moment = now or utc_now()
    findings = None if rows is None else checked(rows)
    with db.transaction() as conn:
        review = load_review(conn, review_id)
        refuse_if_closed(conn, review.sample_id, review.claim_key)
        if review.locked:
            raise ReviewError("This review is already completed.")
        if findings is not None:
            _save(conn, review, _with_notes(review, findings, rows or (), vault), user, expected_version, moment)
            review = load_review(conn, review_id)
        else:
            _check_version(review, expected_version)
        if not review.findings:
            raise ReviewError("Record at least one finding (agree counts) before completing the claim.")
        check_claim_money(review.findings, claim_payment(con, review.claim_key))
        revision = review.latest.revision
        conn.execute(sql("store/revision_complete"), (iso(moment), user, review_id, revision))
        publish(conn, review_id)
        action = "review_complete" if revision == 1 else "review_correct"
        emit(record, AccessEvent(user=user, role=role, action=action, resource=f"review:{review_id}", claim_keys=(review.claim_key,),
                                 details={"sample_id": review.sample_id, "revision": revision, "findings": len(review.findings),
                                          "errors": sum(f.is_error for f in review.findings), "reason": review.latest.reason,
                                          "sha256": revision_sha256(conn, review_id, revision)}))
        return load_review(conn, review_id)


def complete_sample(db: ReviewDb, sample_id: str, *, con: duckdb.DuckDBPyConnection, user: str, role: str,
                    record: Record | None, signer: Signer | None = None, justification: str = "",
                    now: datetime | None = None) -> bool:
    """Close a sample whose every claim to review (each replaced claim's spare in its place) has a completed
    review, and freeze its report as version 1 (review/report_versions.py; `con` reads the claims' dates of
    service and paid amounts), its SHA-256 in the `sample_complete` event; True once it is closed. A voided
    sample is not closed."""
    moment = now or utc_now()
    with db.connect() as conn:
        refuse_if_closed(conn, sample_id)
        sample = load_sample(db, sample_id, conn)
        rows = _claims_to_review(conn, sample)
        waiting = [r for r in rows if not _completed_once(conn, r["review_id"])]
    if waiting:
        raise ReviewError(f"{len(waiting)} of the sample's claims are not completed yet; complete them first.")
    frozen = report_versions.prepare_first(db, con, sample, signer=signer or Signer("", "", ""),
                                           justification=justification, user=user, now=moment)
    with db.transaction() as conn:
        refuse_if_closed(conn, sample_id)
        if conn.execute(sql("store/sample_complete"), (iso(moment), user, sample_id)).rowcount:
            report_versions.store(conn, frozen)
            emit(record, AccessEvent(user=user, role=role, action="sample_complete", resource=f"sample:{sample_id}",
                                     details={"claims": len(rows), "report_version": 1,
                                              "report_sha256": frozen.version.sha256}))
    return True


def claims_waiting(db: ReviewDb, sample_id: str) -> list[str]:
    """The one rule for a complete sample: the claims to review (each replaced claim's spare in its place), in
    selection order, whose review was never completed. A claim whose completed review is being corrected is
    not waiting: its last completed revision is what the metrics and the report read. Empty: the sample can
    be completed (complete_sample)."""
    with db.connect() as conn:
        sample = load_sample(db, sample_id, conn)
        return [r["claim_key"] for r in _claims_to_review(conn, sample) if not _completed_once(conn, r["review_id"])]


def _claims_to_review(conn: sqlite3.Connection, sample: Sample) -> list[sqlite3.Row]:
    to_review = set(sample.claim_keys)
    return [r for r in conn.execute(sql("store/sample_claims"), (sample.sample_id,)) if r["claim_key"] in to_review]


def _completed_once(conn: sqlite3.Connection, review_id: str | None) -> bool:
    return review_id is not None and load_review(conn, review_id).ever_completed


def publish(conn: sqlite3.Connection, review_id: str, days: int | None = None) -> None:
    """Publish the review's latest completed revision for the metrics, with when its findings become final:
    never while a rebuttal is pending; at once when no error finding is left to rebut (none, each decided, or
    the claim's one rebuttal decided); else when the rebuttal window (from the first completion) closes.
    Bumps the publication version."""
    review = load_review(conn, review_id)
    conn.execute(sql("store/published_clear"), (review_id,))
    completed = [r for r in review.revisions if r.status == "completed"]
    if completed:
        window_closes = datetime.fromisoformat(completed[0].completed_at) + timedelta(days=rebuttal_days() if days is None else days)
        status: dict[str, str] = {}
        for rebuttal in conn.execute(sql("store/rebuttals_of_review"), (review_id,)):
            status[rebuttal["finding_id"]] = rebuttal["decision"] or "pending"
        errors = [f for f in review.completed_findings if f.is_error]
        if any(status.get(f.finding_id) == "pending" for f in errors):
            final_after = None
        elif all(f.finding_id in status for f in errors) or _rebuttal_decided(conn, review):
            final_after = completed[-1].completed_at
        else:
            final_after = iso(window_closes)
        conn.executemany(sql("store/published_insert"), [
            (review.claim_key, review_id, completed[-1].revision, f.finding_id, completed[0].author,
             completed[-1].completed_at[:10], f.code_type, f.submitted_code, f.audited_code, f.finding, f.error_category,
             f.dollar_impact, iso(window_closes), status.get(f.finding_id), final_after)
            for f in review.completed_findings])
    conn.execute(sql("store/publication_bump"))


def _rebuttal_decided(conn: sqlite3.Connection, review: Review) -> bool:
    current = current_claim_rebuttal(conn, review.review_id, review.revisions)
    return current is not None and current["decided_at"] is not None

