"""The compliance officer's work on the access log: break-glass reviews recorded as events of their own (never by
the person who used the access), the user filter by part of a name or from a list, and the three reports on a
hand-made log whose answers are stated by hand."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from audit.events import AccessEvent
from audit.key_checks import ensure_log_key
from audit.log.read import read_events
from audit.log.reports import WorkingHours, after_hours, denied_attempts, volume_spikes
from audit.log.reviews import awaiting_review, review_event, reviews
from audit.log.writer import AccessLog
from audit.permissions import PermissionDenied

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday


def logged(user: str, when: datetime, action: str = "page_view", outcome: str = "success", **extra) -> dict:
    return {"user": user, "ts": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "action": action, "outcome": outcome,
            "role": "coding_manager", **extra}


def break_glass(user: str) -> AccessEvent:
    return AccessEvent(user=user, role="auditor", action="phi_reveal", claim_keys=("a" * 24,), fields=("patient_name",),
                       purpose_of_use="ETREAT", justification="ED chart", details={"break_glass": True, "needs_review": True})


def test_a_review_is_an_event_of_its_own_and_clears_the_reveal(paths):
    ensure_log_key(paths)
    with AccessLog(paths) as log:
        reveal = log.append(break_glass("ann"))
        normal = log.append(AccessEvent(user="ann", role="auditor", action="phi_reveal", purpose_of_use="HOPERAT",
                                        details={"break_glass": False}))
        assert [e["seq"] for e in awaiting_review(read_events(paths), reviews(paths))] == [reveal["seq"]]
        with pytest.raises(PermissionDenied, match="another compliance officer"):
            review_event("ann", "compliance_officer", reveal, "checked")
        with pytest.raises(PermissionDenied, match="Only a compliance officer"):
            review_event("bob", "coding_manager", reveal, "checked")
        with pytest.raises(PermissionDenied, match="Only a granted break-glass"):
            review_event("bob", "compliance_officer", normal, "checked")
        with pytest.raises(PermissionDenied, match="review note"):
            review_event("bob", "compliance_officer", reveal, "  ")
        log.append(review_event("bob", "compliance_officer", reveal, "Called the ED; the emergency was real."))
    (recorded,) = read_events(paths, action="break_glass_review")
    assert (recorded["user"], recorded["resource"], recorded["justification"]) == (
        "bob", f"event:{reveal['seq']}", "Called the ED; the emergency was real.")
    assert recorded["details"]["reviewed_user"] == "ann"
    assert awaiting_review(read_events(paths), reviews(paths)) == []


def test_user_filter_by_part_of_a_name_or_from_a_list(paths):
    ensure_log_key(paths)
    with AccessLog(paths) as log:
        for user in ("alice.smith", "bob", "Alicia", "demo:auditor"):
            log.append(AccessEvent(user=user, role="auditor", action="page_view"))
    assert [e["user"] for e in read_events(paths, user_contains="ALI")] == ["Alicia", "alice.smith"]
    assert [e["user"] for e in read_events(paths, users=["bob", "demo:auditor"])] == ["demo:auditor", "bob"]
    assert [e["user"] for e in read_events(paths, user_contains="o", users=["bob", "Alicia"])] == ["bob"]


def test_access_outside_working_hours():
    hours = WorkingHours(7, 19, "America/Chicago")  # 07:00-19:00 in Chicago = 13:00-01:00 UTC in March (CST)
    events = [
        logged("ann", START.replace(hour=14)),                     # Monday 08:00 local: inside
        logged("ann", START.replace(hour=12, minute=30)),          # Monday 06:30 local: outside
        logged("ann", START.replace(hour=12, minute=50), "phi_reveal"),  # 06:50 local: outside, a reveal
        logged("bob", START + timedelta(days=5, hours=16)),        # Saturday 10:00 local: outside (weekend)
        logged("cli:ops", START.replace(hour=3), "ingest"),        # not a person's access
        logged("carl", START.replace(hour=12), "user_add"),        # not an access action
    ]
    rows = after_hours(events, hours)
    assert [(r["user"], str(r["day"]), r["events"], r["reveals"], r["first"], r["last"]) for r in rows] == [
        ("bob", "2026-03-07", 1, 0, "10:00", "10:00"),
        ("ann", "2026-03-02", 2, 1, "06:30", "06:50"),
    ]


def test_a_day_far_above_a_users_usual_volume():
    events = []
    for day in range(10):  # ten ordinary days of 6 page views: the usual day is 6
        events += [logged("ann", START + timedelta(days=day, hours=9, minutes=m)) for m in range(6)]
    spike = START + timedelta(days=10, hours=9)
    events += [logged("ann", spike + timedelta(minutes=m), "phi_reveal") for m in range(18)]  # 18 = 3 x 6 but < 20
    events += [logged("bob", START + timedelta(days=d, hours=9)) for d in range(3)]  # too little history
    assert volume_spikes(events) == []
    events += [logged("ann", spike + timedelta(minutes=30 + m), "phi_reveal") for m in range(2)]  # 20 events
    (row,) = volume_spikes(events)
    assert (row["user"], str(row["day"]), row["events"], row["usual"], row["times_usual"], row["days_compared"]) == (
        "ann", "2026-03-12", 20, 6, 3.3, 10)


def test_repeated_denied_attempts_within_an_hour():
    events = [
        logged("mallory", START + timedelta(minutes=0), "sign_in_failed", "failure"),
        logged("mallory", START + timedelta(minutes=20), "sign_in_failed", "failure"),
        logged("mallory", START + timedelta(minutes=59), "phi_reveal", "denied"),   # third within the hour
        logged("mallory", START + timedelta(hours=5), "sign_in_failed", "failure"),  # alone later
        logged("ann", START, "sign_in_failed", "failure"),
        logged("ann", START + timedelta(minutes=61), "sign_in_failed", "failure"),
        logged("ann", START + timedelta(minutes=122), "sign_in_failed", "failure"),  # 3, but never 3 within an hour
    ]
    (row,) = denied_attempts(events)
    assert (row["user"], row["attempts"], row["actions"]) == ("mallory", 3, "phi_reveal, sign_in_failed")
    assert (row["first"], row["last"]) == (START, START + timedelta(minutes=59))
