"""Frozen, versioned sample reports. Completing a sample freezes its report as version 1: the content (text and
figures, pseudonymous claim keys only), the PDF rendered from it with the freeze time as creation date, and the
PDF's SHA-256, which also goes into the `sample_complete` access-log event. A later change to the sample's
results (a rebuttal decision, a completed correction) never touches a stored version: `refresh` adds the next
version beside it, with a change log saying what changed (which claim, old and new figures) and which
completed revisions caused it, and records a `sample_report` event with its SHA-256. Every version stays
downloadable; each download is an `export` event naming the version and the SHA-256 of the file sent.

A frozen PDF never holds PHI. A copy naming claim numbers is rendered on request (`with_claim_numbers`) from
numbers the caller revealed, with its own SHA-256 for the export event."""
from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import duckdb

from audit.events import AccessEvent
from review.db import Record, ReviewDb, ReviewError, emit, iso, utc_now
from review.report import render
from review.report_content import Signer, changes, report_content
from review.samples import Sample, check_sample, load_sample
from review.sql_files import sql


@dataclass(frozen=True)
class ReportVersion:
    sample_id: str
    version: int
    frozen_at: str
    frozen_by: str
    reason: str
    content: dict[str, Any]
    changes: list[str]
    sha256: str

    @property
    def signer(self) -> Signer:
        return Signer.from_json(self.content.get("signer"))

    @property
    def figures(self) -> dict[str, Any]:
        return self.content["figures"]


@dataclass(frozen=True)
class Frozen:
    """A report version rendered and hashed, ready to store."""

    version: ReportVersion
    pdf: bytes


def _version(row: sqlite3.Row) -> ReportVersion:
    return ReportVersion(row["sample_id"], row["version"], row["frozen_at"], row["frozen_by"], row["reason"],
                         json.loads(row["content"]), json.loads(row["changes"]), row["sha256"])


def versions(db: ReviewDb, sample_id: str) -> list[ReportVersion]:
    """A sample's frozen report versions, oldest first (empty until the sample is completed)."""
    with db.connect() as conn:
        return [_version(row) for row in conn.execute(sql("store/report_versions"), (sample_id,))]


def version_pdf(db: ReviewDb, sample_id: str, version: int | None = None) -> Frozen:
    """One stored version with its PDF bytes (the latest when `version` is None). SampleMismatch when the stored
    sample is no longer the one drawn (review.samples.check_sample): a report leaves the hospital only from a
    sample whose frame and drawn claims still hash as they did, as the appraisal and redraw require."""
    check_sample(db, sample_id)
    found = versions(db, sample_id)
    if not found:
        raise ReviewError(f"Sample {sample_id} has no frozen report: complete the sample first (every claim reviewed).")
    number = found[-1].version if version is None else version
    with db.connect() as conn:
        row = conn.execute(sql("store/report_version"), (sample_id, number)).fetchone()
    if row is None:
        raise ReviewError(f"Sample {sample_id} has report versions 1 to {found[-1].version}; there is no version {number}.")
    return Frozen(_version(row), bytes(row["pdf"]))


def _frozen(sample: Sample, content: dict[str, Any], *, version: int, moment: datetime, user: str, reason: str,
            said: list[str]) -> Frozen:
    pdf = render(content, version=version, frozen_at=moment, changes=said)
    return Frozen(ReportVersion(sample.sample_id, version, iso(moment), user, reason, content, said,
                                hashlib.sha256(pdf).hexdigest()), pdf)


def prepare_first(db: ReviewDb, con: duckdb.DuckDBPyConnection, sample: Sample, *, signer: Signer, justification: str,
                  user: str, now: datetime) -> Frozen:
    """Version 1 of a sample's report, as completing the sample freezes it."""
    content = report_content(db, con, sample, signer=signer, justification=justification, now=now)
    return _frozen(sample, content, version=1, moment=now, user=user, reason="sample completed", said=[])


def store(conn: sqlite3.Connection, frozen: Frozen) -> None:
    """Insert inside the caller's transaction (a second version N is refused by the primary key)."""
    v = frozen.version
    conn.execute(sql("store/report_version_insert"), {
        "sample_id": v.sample_id, "version": v.version, "frozen_at": v.frozen_at, "frozen_by": v.frozen_by,
        "reason": v.reason, "content": json.dumps(v.content), "changes": json.dumps(v.changes), "pdf": frozen.pdf,
        "sha256": v.sha256})


def _causes(db: ReviewDb, sample_id: str, since: str) -> list[str]:
    with db.connect() as conn:
        return [f"Claim {row['claim_key']}: revision {row['revision']} completed {row['completed_at'][:19].replace('T', ' ')} "
                f"UTC by {row['author']}" + (f" ({row['reason']})." if row["reason"] else ".")
                for row in conn.execute(sql("store/report_revisions_since"), (sample_id, since))]


def refresh(db: ReviewDb, con: duckdb.DuckDBPyConnection, sample_id: str, *, user: str, role: str, record: Record | None,
            signer: Signer | None = None, now: datetime | None = None) -> ReportVersion | None:
    """After a change that may alter a completed sample's results: store the next version if its results (or,
    when `signer` is given, the reviewer) differ from the latest version's; None when nothing changed or the
    sample is not completed. Records `sample_report` with the new version's SHA-256 inside the transaction."""
    sample = load_sample(db, sample_id)
    if sample.completed_at is None:
        return None
    found = versions(db, sample_id)
    moment = now or utc_now()
    if not found:
        frozen = prepare_first(db, con, sample, signer=signer or Signer("", "", ""), justification="", user=user, now=moment)
        frozen = Frozen(replace(frozen.version, reason="report of a sample completed before reports were frozen"), frozen.pdf)
    else:
        latest = found[-1]
        content = report_content(db, con, sample, signer=signer or latest.signer,
                                 justification=latest.content.get("justification", ""), now=moment)
        said = changes(latest.content, content)
        signed = signer is not None and signer != latest.signer
        if not said and not signed:
            return None
        if signed:
            said.append(f"Reviewer: {latest.signer.name or 'none'} ({latest.signer.credential or 'no credential'}) -> "
                        f"{signer.name} ({signer.credential}).")
        causes = _causes(db, sample_id, latest.frozen_at)
        reason = "results changed after completion" if len(said) > int(signed) else "reviewer signed"
        frozen = _frozen(sample, content, version=latest.version + 1, moment=moment, user=user, reason=reason,
                         said=causes + said)
    with db.transaction() as conn:
        store(conn, frozen)
        emit(record, AccessEvent(user=user, role=role, action="sample_report", resource=f"sample:{sample_id}",
                                 details={"version": frozen.version.version, "sha256": frozen.version.sha256,
                                          "reason": frozen.version.reason, "changes": len(frozen.version.changes)}))
    return frozen.version


def export_event(user: str, role: str, version: ReportVersion, sha256: str, *, claim_numbers: bool = False) -> AccessEvent:
    """The `export` event of one download: the version and the SHA-256 of the very file sent."""
    return AccessEvent(user=user, role=role, action="export", resource=f"pdf:sample-report-{version.sample_id}-v{version.version}",
                       claim_keys=tuple(row["claim_key"] for row in version.content["claims"]) if claim_numbers else (),
                       details={"sample_id": version.sample_id, "version": version.version, "sha256": sha256,
                                "frozen_sha256": version.sha256, "claim_numbers": claim_numbers})


def with_claim_numbers(db: ReviewDb, sample_id: str, version: int, numbers: Mapping[str, str]) -> bytes:
    """A copy of a stored version naming each claim by the claim number the caller revealed for it (the reveal
    logged first); the same content and freeze time as the frozen PDF, never stored."""
    frozen = version_pdf(db, sample_id, version)
    v = frozen.version
    return render(v.content, version=v.version, frozen_at=datetime.fromisoformat(v.frozen_at), changes=v.changes,
                  claim_numbers=numbers)
