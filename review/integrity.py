"""Completed reviews that cannot be changed unseen.

The review store is a plain SQLite file: anyone who can write it can change a completed finding's dollar
impact, and the appraisal follows. So the content of every completed revision is hashed (SHA-256 of the
canonical serialisation below) into the access-log event that records its completion (`review_complete`,
`review_correct`, or the `rebuttal_decision` that made it), and `manage.py verify-log` checks every
completed revision in the store against its event, and the findings published for the metrics against the
latest completed revision of each review (docs/SECURITY.md, "Reviews").

Canonical serialisation (format `codeaudit-revision-1`): a JSON object with the keys `author`, `claim_key`,
`completed_at`, `findings`, `format`, `reason`, `review_id`, `revision`, `sample_id`, where `findings` is
the revision's findings in position order, each an object with `audited_code`, `code_type`,
`dollar_impact`, `error_category`, `finding`, `finding_id`, `position`, `submitted_code`; values as the
store holds them (text, the revision and position as integers, a blank as null). Written with keys sorted,
no whitespace (separators `,` and `:`), every character outside ASCII as a \\uXXXX escape, encoded UTF-8.

An event for a completion that never landed (the process stopped between writing the event and the commit)
is reconciled as ingest's is: the store does not hold that revision as completed, and nothing later in the
log depends on it. It is reported as such, a note, not as tampering.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from audit.log.read import read_events
from audit.log.verify import Problem
from config.paths import Paths
from review.db import ReviewDb
from review.samples import sample_in, sample_problem, sample_sha256_in
from review.sql_files import sql

FORMAT = "codeaudit-revision-1"
REVISION_KEYS = ("review_id", "sample_id", "claim_key", "revision", "author", "completed_at", "reason")
FINDING_KEYS = ("finding_id", "position", "code_type", "submitted_code", "audited_code", "finding", "error_category",
                "dollar_impact")
# The events that complete a revision (details.revision, details.sha256), and one that needs a completed revision.
COMPLETING = ("review_complete", "review_correct", "rebuttal_decision")
LOGGED = (*COMPLETING, "rebuttal", "sample_draw")
# What a sample_draw event records that the stored sample must still hold.
SAMPLE_FIELDS = ("seed", "frame_sha256", "frame_size", "generator", "generator_version", "method", "sample_sha256")

MODIFIED_REVIEW = "modified review"
UNLOGGED_REVIEW = "unlogged review"
MODIFIED_PUBLICATION = "modified publication"
MODIFIED_SAMPLE = "modified sample"
UNLOGGED_SAMPLE = "unlogged sample"
REMOVED_REVIEW = "removed review"


def revision_document(revision: Mapping[str, Any], findings: Iterable[Mapping[str, Any]]) -> bytes:
    """The canonical serialisation of a completed revision (module docstring); what its SHA-256 is taken over."""
    body = {key: revision[key] for key in REVISION_KEYS}
    body["findings"] = [{key: finding[key] for key in FINDING_KEYS} for finding in findings]
    body["format"] = FORMAT
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("utf-8")


def _revision_sha256(conn: sqlite3.Connection, row: Mapping[str, Any]) -> str:
    findings = conn.execute(sql("store/findings"), (row["review_id"], row["revision"])).fetchall()
    return hashlib.sha256(revision_document(row, [dict(f) for f in findings])).hexdigest()


def revision_sha256(conn: sqlite3.Connection, review_id: str, revision: int) -> str:
    """The SHA-256 of a revision as the store now holds it (inside the transaction that completes it)."""
    return _revision_sha256(conn, dict(conn.execute(sql("store/revision_content"), (review_id, revision)).fetchone()))


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


def check_reviews(conn: sqlite3.Connection, events: Sequence[Mapping[str, Any]]) -> ReviewCheck:
    """Check every completed revision in the review store against the SHA-256 its event recorded, every event
    against the store, the published findings against the latest completed revision of each review, and every
    sample against its frame SHA-256, its own SHA-256 and its sample_draw event.
    `events`: the access log's events (any; those of reviews and samples are picked out)."""
    by_revision, by_review = _events_by_revision(events)
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
        recorded = (landed.get("details") or {}).get("sha256")
        if recorded is None:
            check.notes.append(Problem(landed["seq"], "not hashed", (
                f"{named} was completed before completions recorded a SHA-256; its content cannot be checked")))
        elif recorded != _revision_sha256(conn, row):
            check.problems.append(Problem(landed["seq"], MODIFIED_REVIEW, (
                f"{named} does not match the SHA-256 its {landed.get('action')} event recorded: its findings were "
                "changed in the review store after it was completed")))
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
