"""A finding's notes: why the auditor decided it (rationale), on what authority (an Official Guidelines section
or a Coding Clinic citation, e.g. "OCG I.C.4.a", "Coding Clinic 3Q 2023 p.12") and where in the record it is
documented (e.g. "H&P 2026-03-02, discharge summary").

All three are free text an auditor types, so any of them may hold PHI (a location with a date is PHI; a
rationale may quote the record). They are therefore stored only sealed, as the PHI vault seals identifiers:
AES-256-GCM under the data keyring's primary key, the three as one JSON value bound to its finding (table
`findings`, row `review_id|finding_id`, column `notes`), so sealed notes copied to another finding or review fail
authentication. A correction's new revision carries the same sealed notes, since it is the same finding.

Reading them is a reveal: `reveal` checks the role (Permission.READ_FINDING_NOTES; a coder only on their own
claims), records a `finding_notes_reveal` event in the access log, and only then decrypts. If the event cannot
be recorded, the recorder raises and nothing has been decrypted.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from audit.events import AccessEvent
from audit.permissions import Permission, PermissionDenied, Role, parse_role, require
from audit.vault import PhiVault
from review.db import ReviewDb, ReviewError
from review.sql_files import sql

TABLE, COLUMN = "findings", "notes"
# The fields a finding's notes hold, with the longest text each may be.
LIMITS = {"rationale": 2000, "reference": 200, "location": 300}
FIELDS = tuple(LIMITS)
LABELS = {"rationale": "rationale", "reference": "reference", "location": "where it is documented"}

Record = Callable[[AccessEvent], object]


@dataclass(frozen=True)
class SealedNotes:
    """A finding's notes as stored: opaque without the vault."""

    key_id: str
    nonce: bytes
    ciphertext: bytes


@dataclass(frozen=True)
class FindingNotes:
    rationale: str = ""
    reference: str = ""
    location: str = ""

    @property
    def empty(self) -> bool:
        return not (self.rationale or self.reference or self.location)

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FIELDS}


def typed(row: Mapping[str, object], position: int) -> FindingNotes | None:
    """The notes typed on one finding row (None when the row carries no note field at all, so its stored notes
    stay as they are); a text too long is refused with one sentence saying which and how long it may be."""
    if not any(name in row for name in FIELDS):
        return None
    values = {}
    for name, limit in LIMITS.items():
        value = row.get(name)
        text = "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()
        if len(text) > limit:
            raise ReviewError(f"Finding {position}: the {LABELS[name]} is {len(text):,} characters long; shorten it to "
                             f"{limit:,} at most. Nothing was saved.")
        values[name] = text
    return FindingNotes(**values)


def row_key(review_id: str, finding_id: str) -> str:
    return f"{review_id}|{finding_id}"


def seal(vault: PhiVault, review_id: str, finding_id: str, notes: FindingNotes) -> SealedNotes | None:
    """Seal a finding's notes bound to it; None for no notes (nothing is stored)."""
    if notes.empty:
        return None
    stored = vault.seal(TABLE, [row_key(review_id, finding_id)], [COLUMN], [json.dumps(notes.as_dict(), ensure_ascii=False)])
    return SealedNotes(stored.column("key_id")[0].as_py(), stored.column("nonce")[0].as_py(), stored.column("ciphertext")[0].as_py())


def write(conn: sqlite3.Connection, review_id: str, revision: int, sealed: Mapping[str, SealedNotes]) -> None:
    """Store sealed notes on the revision's findings (rows already written)."""
    conn.executemany(sql("store/finding_notes_set"), [
        (s.key_id, s.nonce, s.ciphertext, review_id, revision, finding_id) for finding_id, s in sealed.items()])


def stored(conn: sqlite3.Connection, review_id: str, revision: int) -> dict[str, SealedNotes]:
    """The sealed notes of a revision's findings, by finding id (findings without notes are absent)."""
    return {r["finding_id"]: SealedNotes(r["notes_key_id"], bytes(r["notes_nonce"]), bytes(r["notes_ciphertext"]))
            for r in conn.execute(sql("store/finding_notes"), (review_id, revision))}


def open_notes(vault: PhiVault, review_id: str, finding_id: str, sealed: SealedNotes) -> FindingNotes:
    """Decrypt one finding's notes. Only `reveal` calls this, after the access is recorded."""
    text = vault.open(TABLE, row_key(review_id, finding_id), COLUMN, sealed.key_id, sealed.nonce, sealed.ciphertext)
    values = json.loads(text)
    return FindingNotes(**{name: str(values.get(name, "")) for name in FIELDS})


class HasNotes(Protocol):
    @property
    def finding_id(self) -> str: ...
    @property
    def notes(self) -> SealedNotes | None: ...


def reveal(vault: Callable[[], PhiVault], review_id: str, claim_key: str, findings: Sequence[HasNotes], *,
           user: str, role: Role | str, record: Record, coder_id: str | None = None,
           claim_coder_id: str | None = None) -> dict[str, FindingNotes]:
    """The notes of these findings of one review, by finding id, for a role that may read them.

    A coder reads them only on their own claims (`coder_id` of the account against `claim_coder_id` of the claim).
    The `finding_notes_reveal` event (claim key, how many findings) is recorded first; `vault` is called only after,
    so neither the keyring is read nor anything decrypted for an access the log does not hold. Findings without
    notes are left out, and when none has any nothing is recorded: nothing is revealed."""
    require(role, Permission.READ_FINDING_NOTES)
    if parse_role(role) == Role.CODER and (not coder_id or coder_id != claim_coder_id):
        raise PermissionDenied("A coder reads the notes of findings on their own claims only.")
    sealed = {f.finding_id: f.notes for f in findings if f.notes is not None}
    if not sealed:
        return {}
    record(AccessEvent(user=user, role=str(parse_role(role)), action="finding_notes_reveal", resource=f"review:{review_id}",
                       claim_keys=(claim_key,), fields=FIELDS, purpose_of_use="HOPERAT",
                       details={"findings": len(sealed)}))
    opened = vault()
    return {finding_id: open_notes(opened, review_id, finding_id, s) for finding_id, s in sealed.items()}


def keys_in_use(db: ReviewDb) -> set[str]:
    """The data keys sealed notes use: `rotate-key --retire-old` keeps them."""
    with db.connect() as conn:
        return {row[0] for row in conn.execute(sql("store/finding_notes_keys"))}


def reseal(conn: sqlite3.Connection, vault: PhiVault, primary: str) -> list[tuple[str, int]]:
    """Re-seal every finding's notes not under the primary key (after `rotate-key`), inside the caller's transaction;
    every value is opened first, so one that cannot be authenticated stops it before any is written. Returns the
    revisions whose notes were re-sealed, one entry per finding (review/integrity.py logs their new hashes)."""
    rows = conn.execute(sql("store/finding_notes_to_rotate"), (primary,)).fetchall()
    opened = [(r["review_id"], r["revision"], r["finding_id"],
               open_notes(vault, r["review_id"], r["finding_id"],
                          SealedNotes(r["notes_key_id"], bytes(r["notes_nonce"]), bytes(r["notes_ciphertext"]))))
              for r in rows]
    for review_id, revision, finding_id, plain in opened:
        write(conn, review_id, revision, {finding_id: seal(vault, review_id, finding_id, plain)})
    return [(review_id, revision) for review_id, revision, _, _ in opened]
