"""Break-glass reviews: a compliance officer marks a break-glass reveal reviewed, with a note, and the review is
an access-log event of its own (`break_glass_review`, naming the reveal by its sequence number), so the log
proves who reviewed what, when and why. A reveal with such an event no longer awaits review. Who may review
is decided by audit/permissions.py (`review_refusal`)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from audit.events import AccessEvent
from audit.log.read import read_events
from audit.permissions import PermissionDenied, needs_review, review_refusal
from config.paths import Paths

REVIEW_ACTION = "break_glass_review"


def review_event(reviewer: str, role: str, reveal: Mapping[str, Any], note: str) -> AccessEvent:
    """The event that records the review of `reveal` (an event as read from the log); raises PermissionDenied
    when this reviewer may not review it or the note is blank."""
    refusal = review_refusal(reviewer, role, reveal)
    if refusal:
        raise PermissionDenied(refusal)
    if not note.strip():
        raise PermissionDenied("Write a review note: what you checked and what you concluded.")
    return AccessEvent(
        user=reviewer, role=role, action=REVIEW_ACTION, resource=f"event:{reveal['seq']}",
        claim_keys=tuple(reveal.get("claim_keys", ())), justification=note.strip(),
        details={"reviewed_seq": reveal["seq"], "reviewed_user": reveal.get("user", ""), "reviewed_ts": reveal.get("ts", "")},
    )


def reviews(paths: Paths) -> dict[int, dict[str, Any]]:
    """Every recorded review, by the sequence number of the reveal it reviews (the latest review wins)."""
    found: dict[int, dict[str, Any]] = {}
    for event in read_events(paths, action=REVIEW_ACTION):  # newest first
        seq = (event.get("details") or {}).get("reviewed_seq")
        if isinstance(seq, int):
            found.setdefault(seq, event)
    return found


def awaiting_review(events: Iterable[Mapping[str, Any]], reviewed: Mapping[int, Any]) -> list[Mapping[str, Any]]:
    """The break-glass reveals among `events` that no review names."""
    return [e for e in events if needs_review(e) and e.get("seq") not in reviewed]
