"""Blind review in the review store: an auditor who chooses it for a claim not started yet (no findings saved,
never completed) has the coder's codes hidden until their own codes, abstracted from the record, are saved
(review/blind_codes.py checks them and compares the two sets). The blind codes stay with the review revision
they were entered on and cannot change once saved; a completed revision's blind codes are kept as they were.
Codes are not PHI and the entry holds no free text, so nothing is sealed and nothing is logged."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from review.blind_codes import BlindCodes, Diagnosis
from review.db import ReviewDb, ReviewError, iso, utc_now
from review.sql_files import sql
from review.worklist import Review, load_review


@dataclass(frozen=True)
class BlindState:
    """A review revision reviewed blind: `codes` is None while the coder's codes are hidden."""

    started_by: str
    started_at: str
    saved_by: str | None
    saved_at: str | None
    codes: BlindCodes | None

    @property
    def hidden(self) -> bool:
        return self.codes is None


def _state(conn: sqlite3.Connection, review_id: str, revision: int) -> BlindState | None:
    row = conn.execute(sql("store/blind_review"), (review_id, revision)).fetchone()
    if row is None:
        return None
    codes = None
    if row["saved_at"] is not None:
        rows = conn.execute(sql("store/blind_codes"), (review_id, revision)).fetchall()
        codes = BlindCodes(tuple(Diagnosis(r["code"], r["poa"]) for r in rows if r["code_type"] == "ICD10CM_DX"),
                           tuple(r["code"] for r in rows if r["code_type"] == "ICD10PCS"), row["audited_drg"])
    return BlindState(row["started_by"], row["started_at"], row["saved_by"], row["saved_at"], codes)


def blind_state(db: ReviewDb, review: Review) -> BlindState | None:
    """The blind state of the review's latest revision (None: not reviewed blind)."""
    with db.connect() as conn:
        return _state(conn, review.review_id, review.latest.revision)


def can_start(review: Review) -> bool:
    """Blind only while nothing of the auditor's rests on the coder's codes: the first revision, a draft, no
    finding saved."""
    return review.latest.revision == 1 and not review.locked and not review.findings


def start(db: ReviewDb, review_id: str, user: str, now: datetime | None = None) -> BlindState:
    """Hide the coder's codes of the review until the auditor's are saved (a review already blind stays so)."""
    with db.transaction() as conn:
        review = load_review(conn, review_id)
        existing = _state(conn, review_id, review.latest.revision)
        if existing is not None:
            return existing
        if not can_start(review):
            raise ReviewError("This claim already has findings, so it cannot be reviewed blind; review it with the coder's codes.")
        conn.execute(sql("store/blind_start"), (review_id, review.latest.revision, user, iso(now or utc_now())))
        return _state(conn, review_id, review.latest.revision)  # type: ignore[return-value]


def stop(db: ReviewDb, review_id: str) -> None:
    """Leave a blind review whose codes are not saved yet: the coder's codes are shown again."""
    with db.transaction() as conn:
        review = load_review(conn, review_id)
        conn.execute(sql("store/blind_stop"), (review_id, review.latest.revision))


def save(db: ReviewDb, review_id: str, codes: BlindCodes, user: str, now: datetime | None = None) -> BlindState:
    """Store the auditor's blind codes (checked by review.blind_codes.parse) once: from then on the page shows
    the coder's codes beside them."""
    with db.transaction() as conn:
        review = load_review(conn, review_id)
        state = _state(conn, review_id, review.latest.revision)
        if review.locked:
            raise ReviewError("This review is completed and locked; its blind codes cannot change.")
        if state is None:
            raise ReviewError("This claim is not being reviewed blind; turn blind review on before its codes are shown.")
        if not state.hidden:
            raise ReviewError("Your blind codes for this claim are saved already; they cannot change.")
        revision = review.latest.revision
        conn.executemany(sql("store/blind_code_insert"), [
            *((review_id, revision, "ICD10CM_DX", i, d.code, d.poa) for i, d in enumerate(codes.diagnoses, start=1)),
            *((review_id, revision, "ICD10PCS", i, code, None) for i, code in enumerate(codes.procedures, start=1))])
        conn.execute(sql("store/blind_saved"), (user, iso(now or utc_now()), codes.drg, review_id, revision))
        return _state(conn, review_id, revision)  # type: ignore[return-value]
