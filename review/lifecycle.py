"""A sample's life after its draw: voided with a reason, or a drawn claim that cannot be reviewed (record not
available, ...) replaced by a spare (docs/SAMPLING.md, voiding a sample and spares).

A voided sample keeps everything it holds (the access log and the reviews stay the record), but no longer counts
as "already audited" for later draws, takes no further reviews, cannot be completed and has no appraisal. A
replacement takes the first unused spare of the replaced claim's stratum, in selection order, so the sample stays
the random sample RAT-STATS would list; who replaced which claim, when and why is kept and shown wherever the
sample is (the Audit sampling and Record review pages, `sample list`, the report through `replacements`).
Each change writes one access-log event (`sample_void`, `sample_replace`) inside the transaction that makes it.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from audit.events import AccessEvent
from review.db import Record, ReviewDb, ReviewError, emit, iso, utc_now
from review.samples import Sample, load_sample, replacements_in, void_sentence
from review.sql_files import sql

REASON_MAX = 500


def _reason(text: str, doing: str) -> str:
    reason = text.strip()
    if not reason:
        raise ReviewError(f"Say why {doing}; the reason is kept with the sample and in the access log.")
    return reason[:REASON_MAX]


def refuse_if_closed(conn: sqlite3.Connection, sample_id: str, claim_key: str | None = None) -> None:
    """ReviewError saying why, unless the sample still takes reviews (of `claim_key`, when given). Reads no
    frame: it runs on every save."""
    row = conn.execute(sql("store/sample_state"), {"sample_id": sample_id, "claim_key": claim_key}).fetchone()
    if row is None:
        raise ReviewError(f"There is no sample {sample_id!r}; `python manage.py sample list` shows them.")
    if sentence := void_sentence(sample_id, row["voided_at"], row["voided_by"], row["void_reason"]):
        raise ReviewError(sentence)
    if row["spare_key"] is not None:
        raise ReviewError(f"Claim {claim_key} was replaced by spare {row['spare_key']} and is no longer reviewed; "
                          "review the spare instead.")


def void_sample(db: ReviewDb, sample_id: str, reason: str, *, user: str, role: str, record: Record | None,
                now: datetime | None = None) -> Sample:
    """Void the sample with `reason` (completed or not), and record `sample_void`."""
    why = _reason(reason, "the sample is voided")
    with db.transaction() as conn:
        sample = load_sample(db, sample_id, conn)
        if sample.voided_at is not None:
            raise ReviewError(f"Sample {sample_id} is already voided ({sample.void_reason}).")
        conn.execute(sql("store/sample_void"), (iso(now or utc_now()), user, why, sample_id))
        emit(record, AccessEvent(user=user, role=role, action="sample_void", resource=f"sample:{sample_id}",
                                 details={"reason": why, "completed": sample.completed_at is not None,
                                          "claims": len(sample.claim_keys)}))
        return load_sample(db, sample_id, conn)


def replace_claim(db: ReviewDb, sample_id: str, claim_key: str, reason: str, *, user: str, role: str,
                  record: Record | None, now: datetime | None = None) -> str:
    """Replace a claim to review that has no completed review by the first unused spare of its stratum (in
    selection order); record `sample_replace`. Returns the spare's claim key."""
    why = _reason(reason, "the claim cannot be reviewed")
    with db.transaction() as conn:
        refuse_if_closed(conn, sample_id)
        sample = load_sample(db, sample_id, conn)
        if sample.completed_at is not None:
            raise ReviewError(f"Sample {sample_id} is completed; its claims are no longer replaced.")
        place = next((d for d in sample.reviewed if d.claim_key == claim_key), None)
        if place is None:
            raise ReviewError(f"Claim {claim_key} is not among the claims to review in sample {sample_id}; "
                              "only a claim to review is replaced by a spare.")
        review = conn.execute(sql("store/review_of_claim"), (sample_id, claim_key)).fetchone()
        if review is not None and any(r["status"] == "completed"
                                      for r in conn.execute(sql("store/revisions"), (review["review_id"],))):
            raise ReviewError(f"Claim {claim_key} has a completed review, so it was reviewable; it is not replaced.")
        used = {key for pair in sample.replaced for key in pair}
        spare = next((d for d in sample.drawn if d.spare and d.stratum == place.stratum and d.claim_key not in used), None)
        if spare is None:
            raise ReviewError(f"No spare of claim {claim_key}'s stratum is left in sample {sample_id}; "
                              "draw a new sample with more spares, or review the claim.")
        conn.execute(sql("store/sample_replacement_insert"),
                     (sample_id, claim_key, spare.claim_key, why, user, iso(now or utc_now())))
        label = sample.strata[place.stratum]["label"] if sample.spec.stratified else ""
        emit(record, AccessEvent(user=user, role=role, action="sample_replace", resource=f"sample:{sample_id}",
                                 claim_keys=(claim_key, spare.claim_key),
                                 details={"replaced": claim_key, "spare": spare.claim_key, "stratum": label, "reason": why}))
        return spare.claim_key


def replacements(db: ReviewDb, sample_id: str) -> list[dict[str, Any]]:
    """A sample's replacements in the order they were made, for the report and the pages: replaced_key (the
    claim that could not be reviewed), spare_key (the spare reviewed in its place), reason, by, at (ISO 8601
    UTC). A spare that was itself replaced appears as the spare of one entry and the replaced claim of the next."""
    with db.connect() as conn:
        return replacements_in(conn, sample_id)
