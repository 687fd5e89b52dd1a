"""Completed reviews that cannot be changed unseen.

The review store is a plain SQLite file: anyone who can write it can change a completed finding's dollar
impact, and the appraisal follows. So the content of every completed revision is hashed (SHA-256 of the
canonical serialisation below) into the access-log event that records its completion (`review_complete`,
`review_correct`, or the `rebuttal_decision` that made it), and `manage.py verify-log` checks every
completed revision in the store against its event, and the findings published for the metrics against the
latest completed revision of each review (docs/SECURITY.md, "Reviews").

Canonical serialisation: a JSON object of the revision's fields and its `findings` (in position order, each an
object of the finding's fields), with `format` naming the format; values as the store holds them (text, the
revision and position as integers, a blank as null). Written with keys sorted, no whitespace (separators `,`
and `:`), every character outside ASCII as a \\uXXXX escape, encoded UTF-8. A format is the list of fields it
covers (RevisionFormat): `codeaudit-revision-1` covers `author`, `claim_key`, `completed_at`, `reason`,
`review_id`, `revision`, `sample_id` and, per finding, `audited_code`, `code_type`, `dollar_impact`,
`error_category`, `finding`, `finding_id`, `position`, `submitted_code`; `codeaudit-revision-2` (CURRENT) adds
every other column of the review, revision and finding rows: `opened_at`, `opened_by`, `saved_at`, `status`,
and per finding its sealed `notes` (null, or `key_id`, and `nonce` and `ciphertext` in standard base64). A
later format adds its fields the same way; a revision keeps the format it was hashed in, and verify-log tries
every known format: the format's name is inside the hashed bytes, so a digest can only match its own format.
`codeaudit-revision-3` (CURRENT) adds `blind`: null for a revision not reviewed blind, else an object of the
blind review's `started_by`, `started_at`, `saved_by`, `saved_at`, `audited_drg` and `codes`, a list of
[code_type, code, poa] in the order the auditor entered them (diagnoses, principal first, then procedures).

`rotate-key` re-seals the notes under a new key, which changes their ciphertext: it first checks every completed
revision it touches against its event (a tampered one stops it), and records the new SHA-256 of each in a
`key_rotate` event on `review_store` (details.revisions: [review_id, revision, sha256]) before its commit.

An event for a completion that never landed (the process stopped between writing the event and the commit)
is reconciled as ingest's is: the store does not hold that revision as completed, and nothing later in the
log depends on it. It is reported as such, a note, not as tampering.
"""
from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from audit.events import AccessEvent
from audit.log.read import read_events
from audit.log.verify import Problem
from audit.vault import PhiVault
from config.paths import Paths
from review.db import ReviewDb, ReviewError
from review.notes import Record, reseal
from review.samples import sample_in, sample_problem, sample_sha256_in
from review.sql_files import sql


@dataclass(frozen=True)
class RevisionFormat:
    """A canonical serialisation of a completed revision: its name and the fields it covers."""

    name: str
    revision_keys: tuple[str, ...]
    finding_keys: tuple[str, ...]


REVISION_1 = RevisionFormat("codeaudit-revision-1",
                            ("review_id", "sample_id", "claim_key", "revision", "author", "completed_at", "reason"),
                            ("finding_id", "position", "code_type", "submitted_code", "audited_code", "finding",
                             "error_category", "dollar_impact"))
REVISION_2 = RevisionFormat("codeaudit-revision-2",
                            (*REVISION_1.revision_keys, "opened_by", "opened_at", "status", "saved_at"),
                            (*REVISION_1.finding_keys, "notes"))
REVISION_3 = RevisionFormat("codeaudit-revision-3", (*REVISION_2.revision_keys, "blind"), REVISION_2.finding_keys)
CURRENT = REVISION_3  # new completions are hashed in this format
FORMATS = (REVISION_3, REVISION_2, REVISION_1)
# The events that complete a revision (details.revision, details.sha256), and one that needs a completed revision.
COMPLETING = ("review_complete", "review_correct", "rebuttal_decision")
LOGGED = (*COMPLETING, "rebuttal", "sample_draw", "key_rotate")
RESEAL_RESOURCE = "review_store"  # the resource of rotate-key's event for the notes it re-sealed
# What a sample_draw event records that the stored sample must still hold.
SAMPLE_FIELDS = ("seed", "frame_sha256", "frame_size", "generator", "generator_version", "method", "sample_sha256")

MODIFIED_REVIEW = "modified review"
UNLOGGED_REVIEW = "unlogged review"
MODIFIED_PUBLICATION = "modified publication"
MODIFIED_SAMPLE = "modified sample"
UNLOGGED_SAMPLE = "unlogged sample"
REMOVED_REVIEW = "removed review"


def _sealed(finding: Mapping[str, Any]) -> dict[str, str] | None:
    """A finding's sealed notes as the serialisation holds them (bytes as standard base64); None without notes."""
    if finding.get("notes_ciphertext") is None:
        return None
    return {"key_id": finding["notes_key_id"], "nonce": base64.b64encode(bytes(finding["notes_nonce"])).decode("ascii"),
            "ciphertext": base64.b64encode(bytes(finding["notes_ciphertext"])).decode("ascii")}


def revision_document(revision: Mapping[str, Any], findings: Iterable[Mapping[str, Any]],
                      form: RevisionFormat = REVISION_1) -> bytes:
    """The canonical serialisation of a completed revision in a format (module docstring); what its SHA-256 is
    taken over. `findings` are rows of the findings table (their notes_* columns give `notes`)."""
    body = {key: revision.get(key) if key == "blind" else revision[key] for key in form.revision_keys}
    body["findings"] = [{key: _sealed(finding) if key == "notes" else finding[key] for key in form.finding_keys}
                        for finding in findings]
    body["format"] = form.name
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("utf-8")


def _blind(conn: sqlite3.Connection, review_id: str, revision: int) -> dict[str, Any] | None:
    """A revision's blind review as the serialisation holds it (module docstring); None when not reviewed blind."""
    found = conn.execute(sql("store/blind_review"), (review_id, revision)).fetchone()
    if found is None:
        return None
    codes = [list(code) for code in conn.execute(sql("store/blind_codes"), (review_id, revision))]
    return {**dict(zip(("started_by", "started_at", "saved_by", "saved_at", "audited_drg"), found)), "codes": codes}


def _digests(conn: sqlite3.Connection, row: Mapping[str, Any], forms: Sequence[RevisionFormat]) -> list[str]:
    findings = [dict(f) for f in conn.execute(sql("store/revision_findings"), (row["review_id"], row["revision"]))]
    row = {**row, "blind": _blind(conn, row["review_id"], row["revision"])}
    return [hashlib.sha256(revision_document(row, findings, form)).hexdigest() for form in forms]


def _matches(conn: sqlite3.Connection, row: Mapping[str, Any], recorded: str) -> bool:
    """Whether the revision as stored hashes to `recorded` in any known format."""
    return recorded in _digests(conn, row, FORMATS)


def revision_sha256(conn: sqlite3.Connection, review_id: str, revision: int) -> str:
    """The SHA-256 of a revision as the store now holds it, in the CURRENT format (inside the transaction that
    completes it)."""
    row = dict(conn.execute(sql("store/revision_content"), (review_id, revision)).fetchone())
    return _digests(conn, row, (CURRENT,))[0]


@dataclass
class ReviewCheck:
    """What verify-log found in the review store: problems (exit 1) and notes (reported, not tampering)."""

    revisions: int = 0
    samples: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        found = f"{len(self.problems)} problem(s)" if self.problems else "no problems"
        return f"checked {self.revisions} completed review revision(s) and {self.samples} sample(s) against their events: {found}"


def _events_by_revision(events: Iterable[Mapping[str, Any]]) -> tuple[dict[tuple[str, int], list[Mapping[str, Any]]],
                                                                       dict[str, list[Mapping[str, Any]]]]:
    """Completing events by (review, revision), oldest first, and every logged event of each review."""
    by_revision: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
    by_review: dict[str, list[Mapping[str, Any]]] = {}
    for event in sorted(events, key=lambda e: e.get("seq", 0)):
        resource = str(event.get("resource", ""))
        if not resource.startswith("review:") or event.get("outcome", "success") != "success":
            continue
        review_id = resource.removeprefix("review:")
        by_review.setdefault(review_id, []).append(event)
        revision = (event.get("details") or {}).get("revision")
        if event.get("action") in COMPLETING and isinstance(revision, int):
            by_revision.setdefault((review_id, revision), []).append(event)
    return by_revision, by_review


def _later_work(events: Sequence[Mapping[str, Any]], after: Mapping[str, Any], revision: int) -> Mapping[str, Any] | None:
    """An event on the same review that could only follow this revision's completion: a later revision, or a
    rebuttal (both need a completed revision)."""
    for event in events:
        if event.get("seq", 0) <= after.get("seq", 0):
            continue
        later = (event.get("details") or {}).get("revision")
        if event.get("action") == "rebuttal" or (isinstance(later, int) and later > revision):
            return event
    return None


def _reseals(events: Iterable[Mapping[str, Any]]) -> dict[tuple[str, int], list[tuple[int, str]]]:
    """The SHA-256 rotate-key recorded for each revision whose notes it re-sealed: (seq, sha256), oldest first."""
    found: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for event in sorted(events, key=lambda e: e.get("seq", 0)):
        if event.get("action") != "key_rotate" or event.get("resource") != RESEAL_RESOURCE:
            continue
        for review_id, revision, sha256 in (event.get("details") or {}).get("revisions", ()):
            found.setdefault((review_id, revision), []).append((event["seq"], sha256))
    return found


def _check_content(conn: sqlite3.Connection, row: Mapping[str, Any], named: str, landed: Mapping[str, Any],
                   reseals: Sequence[tuple[int, str]], check: ReviewCheck) -> None:
    """A completed revision's content against the SHA-256 its completing event recorded, or the one a later
    re-sealing of its notes recorded. Content matching an earlier of these is a re-sealing that did not land
    (rotate-key stopped between its event and its commit): a note, not tampering."""
    recorded = (landed.get("details") or {}).get("sha256")
    if recorded is None:
        check.notes.append(Problem(landed["seq"], "not hashed", (
            f"{named} was completed before completions recorded a SHA-256; its content cannot be checked")))
        return
    expected = [(landed["seq"], f"its {landed.get('action')} event", recorded),
                *((seq, f"the key_rotate event at seq {seq}", sha) for seq, sha in reseals if seq > landed["seq"])]
    now = _digests(conn, row, FORMATS)
    matched = [i for i, (_, _, sha) in enumerate(expected) if sha in now]
    if not matched:
        seq, which, _ = expected[-1]
        check.problems.append(Problem(seq, MODIFIED_REVIEW, (
            f"{named} does not match the SHA-256 {which} recorded: its findings or notes were changed in the review "
            "store after it was completed")))
        return
    for seq, _, _ in expected[matched[-1] + 1:]:
        check.notes.append(Problem(seq, "did not land", (
            f"the key_rotate event at seq {seq} records new notes of {named} that were never saved (the store holds "
            "them as before): rotate-key stopped between recording and saving, so nothing changed; run it again")))


def check_reviews(conn: sqlite3.Connection, events: Sequence[Mapping[str, Any]]) -> ReviewCheck:
    """Check every completed revision in the review store against the SHA-256 its event recorded, every event
    against the store, the published findings against the latest completed revision of each review, and every
    sample against its frame SHA-256, its own SHA-256 and its sample_draw event.
    `events`: the access log's events (any; those of reviews and samples are picked out)."""
    by_revision, by_review = _events_by_revision(events)
    resealed = _reseals(events)
    check = ReviewCheck()
    rows = [dict(r) for r in conn.execute(sql("store/revisions_all"))]
    stored = {(r["review_id"], r["revision"]): r for r in rows}
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["status"] != "completed":
            continue
        check.revisions += 1
        latest[row["review_id"]] = row
        named = f"review {row['review_id']} revision {row['revision']} (sample {row['sample_id']})"
        logged = by_revision.get((row["review_id"], row["revision"]), [])
        if not logged:
            check.problems.append(Problem(0, UNLOGGED_REVIEW, (
                f"{named} is completed in the review store but has no access-log event recording its completion: "
                "it was completed or changed outside the dashboard and the commands")))
            continue
        landed = logged[-1]  # a completed revision is locked: only the last attempt can have landed
        _check_content(conn, row, named, landed, resealed.get((row["review_id"], row["revision"]), []), check)
        for earlier in logged[:-1]:
            check.notes.append(_not_landed(earlier, named, f"it was completed at seq {landed['seq']}"))
    for (review_id, revision), logged in by_revision.items():
        row = stored.get((review_id, revision))
        if row is not None and row["status"] == "completed":
            continue
        named = f"review {review_id} revision {revision}"
        for event in logged:
            later = _later_work(by_review.get(review_id, []), event, revision)
            held = "does not hold it" if row is None else "holds it as a draft"
            if later is not None:
                check.problems.append(Problem(event["seq"], REMOVED_REVIEW, (
                    f"{named} was completed (seq {event['seq']}) and later work on it is logged (seq {later['seq']}, "
                    f"{later.get('action')}), but the review store {held}: it was undone in the store")))
            elif row is None and event.get("action") != "rebuttal_decision":
                # A completion's draft is committed before it is completed; only a decision makes its revision
                # in the transaction that logs it, so only a decision can leave no row behind.
                check.problems.append(Problem(event["seq"], REMOVED_REVIEW, (
                    f"{named} was completed (seq {event['seq']}) but the review store {held}: a crash leaves the "
                    "draft, so it was removed from the store")))
            else:
                state = "is still a draft" if row is not None else "does not exist"
                check.notes.append(_not_landed(event, named, f"it {state} in the review store"))
    check.problems += _publication_problems(conn, latest)
    check.samples, problems, notes = _sample_problems(conn, events)
    check.problems += problems
    check.notes += notes
    check.problems.sort(key=lambda p: p.seq)
    check.notes.sort(key=lambda p: p.seq)
    return check


def _sample_problems(conn: sqlite3.Connection, events: Sequence[Mapping[str, Any]]) -> tuple[int, list[Problem], list[Problem]]:
    """How many samples were checked, the problems found (a stored sample that is not intact
    (samples.sample_problem), that differs from its sample_draw event, or has none; a logged sample gone from
    the store although reviews of it are logged) and notes (a draw that did not land)."""
    draws = {str(e.get("resource", "")).removeprefix("sample:"): e for e in sorted(events, key=lambda e: e.get("seq", 0))
             if e.get("action") == "sample_draw" and e.get("outcome", "success") == "success"}
    problems = []
    ids = [row[0] for row in conn.execute(sql("store/sample_ids"))]
    for sample_id in ids:
        if (problem := sample_problem(conn, sample_id)) is not None:
            problems.append(Problem(0, MODIFIED_SAMPLE, problem))
        event = draws.get(sample_id)
        if event is None:
            problems.append(Problem(0, UNLOGGED_SAMPLE, f"sample {sample_id} is in the review store but no sample_draw "
                                                       "event records its draw: it was added outside the dashboard and the commands"))
            continue
        stored = sample_in(conn, sample_id)
        now = {**stored.as_json(), "sample_sha256": sample_sha256_in(conn, sample_id)}
        recorded = event.get("details") or {}
        changed = [name for name in SAMPLE_FIELDS if name in recorded and recorded[name] != now[name]]
        if list(event.get("claim_keys", ())) != [d.claim_key for d in stored.drawn]:
            changed.append("drawn claims")
        if changed:
            problems.append(Problem(event["seq"], MODIFIED_SAMPLE, (
                f"sample {sample_id}'s stored {', '.join(changed)} differ from what its sample_draw event recorded: "
                "the review store was changed after the draw; restore it from backup")))
    reviewed = {(e.get("details") or {}).get("sample_id") for e in events if e.get("action") in COMPLETING}
    notes, stored = [], set(ids)
    for sample_id, event in draws.items():
        if sample_id in stored:
            continue
        if sample_id in reviewed:
            problems.append(Problem(event["seq"], MODIFIED_SAMPLE, (
                f"sample {sample_id} was drawn (seq {event['seq']}) and reviews of it are logged, but the review store "
                "does not hold it: it was removed from the store; restore it from backup")))
        else:
            notes.append(Problem(event["seq"], "did not land", (
                f"the sample_draw event of sample {sample_id} records a draw that was never saved (the review store does "
                "not hold it): the process stopped between recording it and saving it, so nothing changed")))
    return len(ids), problems, notes


def reseal_notes(paths: Paths, vault: PhiVault, primary: str, *, user: str, role: str, record: Record) -> int:
    """Re-seal the findings' notes under the primary key after `rotate-key`, in one review-store transaction.
    Every completed revision whose notes change is first checked against its event: one that does not match
    (or has none) stops it with one sentence naming it, since logging its new hash would launder the change.
    The new SHA-256 of each (CURRENT format) is recorded in one `key_rotate` event on `review_store` before the
    commit; `record` raises when it cannot, and then nothing changes. Returns how many findings' notes."""
    events = read_events(paths, actions=LOGGED)
    by_revision, resealed = _events_by_revision(events)[0], _reseals(events)
    with ReviewDb(paths.reviews_db).transaction() as conn:
        pending = {(r["review_id"], r["revision"]) for r in conn.execute(sql("store/finding_notes_to_rotate"), (primary,))}
        completed = [dict(r) for r in conn.execute(sql("store/revisions_all"))
                     if r["status"] == "completed" and (r["review_id"], r["revision"]) in pending]
        hashed = []
        for row in completed:
            key = (row["review_id"], row["revision"])
            named = f"review {row['review_id']} revision {row['revision']} (sample {row['sample_id']})"
            check = ReviewCheck()
            if key not in by_revision:
                check.problems.append(Problem(0, UNLOGGED_REVIEW, f"{named} has no access-log event recording its completion"))
            else:
                _check_content(conn, row, named, by_revision[key][-1], resealed.get(key, []), check)
            if check.problems:
                raise ReviewError(f"{check.problems[0].detail}; its notes were not re-sealed: run verify-log and restore "
                                  "the review store from backup.")
            if (by_revision[key][-1].get("details") or {}).get("sha256") is not None:
                hashed.append(row)
        count = len(reseal(conn, vault, primary))
        if count:
            record(AccessEvent(user=user, role=role, action="key_rotate", resource=RESEAL_RESOURCE, details={
                "primary": primary, "resealed": count,
                "revisions": [[r["review_id"], r["revision"], revision_sha256(conn, r["review_id"], r["revision"])]
                              for r in hashed]}))
        return count


def verify_reviews(paths: Paths) -> ReviewCheck | None:
    """check_reviews over the data folder's review store and access log; None when there is no review store."""
    if not paths.reviews_db.exists():
        return None
    events = read_events(paths, actions=LOGGED)
    with ReviewDb(paths.reviews_db).connect() as conn:
        return check_reviews(conn, events)


def _not_landed(event: Mapping[str, Any], named: str, state: str) -> Problem:
    return Problem(event["seq"], "did not land", (
        f"the {event.get('action')} event of {named} records a completion that was never saved ({state}): the "
        "process stopped between recording it and saving it, so nothing changed; this is not tampering. If no "
        "such interruption happened at that time, restore the review store from backup and investigate"))


_PUBLISHED = ("claim_key", "revision", "finding_id", "code_type", "submitted_code", "audited_code", "finding",
              "error_category", "dollar_impact")


def _publication_problems(conn: sqlite3.Connection, latest: Mapping[str, Mapping[str, Any]]) -> list[Problem]:
    """The published findings (what the metrics and appraisals read) must be each review's latest completed
    revision, finding for finding."""
    published: dict[str, set[tuple[Any, ...]]] = {}
    for row in conn.execute(sql("store/published_all")):
        published.setdefault(row["review_id"], set()).add(tuple(row[k] for k in _PUBLISHED))
    problems = []
    for review_id in sorted(set(published) | set(latest)):
        row = latest.get(review_id)
        expected: set[tuple[Any, ...]] = set()
        if row is not None:
            for f in conn.execute(sql("store/findings"), (review_id, row["revision"])):
                expected.add((row["claim_key"], row["revision"], *(f[k] for k in _PUBLISHED[2:])))
        if published.get(review_id, set()) != expected:
            what = f"revision {row['revision']}" if row else "no completed revision"
            problems.append(Problem(0, MODIFIED_PUBLICATION, (
                f"review {review_id}: the findings published for the metrics differ from its latest completed review "
                f"({what}): the published_findings table was changed; complete or correct the claim again to "
                "republish it, after restoring the review store from backup")))
    return problems
