"""Access log: whether the log is intact (verify), and the review store against it (verify-log's check of
completed reviews and samples); break-glass reveals awaiting review, reviewed here with a
note (the review is itself a logged event); who did what, when and why, in words, filtered by days, user (part
of a name or from a list), action and claim; the privacy officer's reports (access outside working hours,
volume far above a user's usual, repeated denied attempts); exports as CSV or a FHIR R4 Bundle of
AuditEvents, each export itself recorded first."""
from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import streamlit as st

from audit.events import ACTIONS, AccessEvent
from audit.log.export import export_csv, fhir_bundle
from audit.log.read import NamedUsers, read_events, users_named
from audit.log.reports import (
    DENIED_COUNT,
    DENIED_WINDOW,
    VOLUME_FACTOR,
    VOLUME_HISTORY_DAYS,
    VOLUME_MIN_EVENTS,
    WorkingHours,
    after_hours,
    denied_attempts,
    volume_spikes,
)
from audit.log.reviews import awaiting_review, review_event, reviews
from audit.log.verify import fingerprint, verify
from audit.log.writer import AccessLogError
from audit.permissions import Permission, PermissionDenied, Role, can, needs_review
from config import settings
from review.integrity import verify_reviews
from views import log_words, problems, session, tables
from views.text import md

MAX_ROWS = 2_000
DEFAULT_DAYS = 7
_VERIFIED, _DONE = "access_log.verified", "access_log.done"
_REVIEWS_CHECKED = "access_log.reviews_checked"
_NAMED = "access_log.named_users"


def verification() -> None:
    """verify() on the whole log, repeated whenever any file it reads changed since this session last
    checked (size, mtime or inode of the log and of every checkpoint file: audit.log.verify.fingerprint)."""
    files = fingerprint(session.paths())
    cached = st.session_state.get(_VERIFIED)
    if cached is None or cached[0] != files:
        cached = (files, verify(session.paths()))
        st.session_state[_VERIFIED] = cached
    report = cached[1]
    if report.ok:
        st.success(f"Log verified: {md(report.summary())}")
    else:
        st.error(f"The log failed verification: {md(report.summary())}\n\n"
                 + "\n".join(f"- {md(problem)}" for problem in report.problems[:20]))


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return found.st_size, found.st_mtime_ns, found.st_ino


def review_store_check() -> None:
    """verify-log's check of the review store against the log (review/integrity.py: completed revisions against
    their events' SHA-256, samples against their frame SHA-256 and draw events, completions that did not land),
    repeated whenever the log, its checkpoints or the review store changed since this session last checked."""
    paths = session.paths()
    files = (fingerprint(paths), *(_stat(paths.reviews_db.with_name(paths.reviews_db.name + end)) for end in ("", "-wal")))
    cached = st.session_state.get(_REVIEWS_CHECKED)
    if cached is None or cached[0] != files:
        try:
            cached = (files, verify_reviews(paths))
        except sqlite3.Error as exc:
            st.error(f"The review store cannot be read, so it cannot be checked against the log ({md(exc)}). Restore it "
                     "from backup and run `python manage.py verify-log`.")
            return
        st.session_state[_REVIEWS_CHECKED] = cached
    check = cached[1]
    if check is None:
        st.caption("There is no review store yet: no reviews or samples to check against the log.")
        return
    if check.problems:
        st.error(f"The review store failed its check against the log: {md(check.summary())}. Restore it from backup "
                 "and investigate (`python manage.py verify-log` says the same).\n\n"
                 + "\n".join(f"- {md(problem)}" for problem in check.problems[:20]))
    else:
        st.success(f"Reviews verified: {md(check.summary())}")
    for note in check.notes[:20]:
        st.caption(f"Note: {md(note)}")


def _reveal_label(event: dict) -> str:
    return (f"Event {event['seq']}: {str(event.get('ts', ''))[:16].replace('T', ' ')} UTC, {event.get('user', '')}, "
            f"claim {', '.join(event.get('claim_keys', ())) or '(none)'}")


def break_glass_reviews(who: session.SignedIn) -> None:
    """Every break-glass reveal that no review names yet, with a form to review one."""
    st.subheader("Break-glass reveals awaiting review")
    pending = awaiting_review(read_events(session.paths(), action="phi_reveal"), reviews(session.paths()))
    if not pending:
        st.success("Every break-glass reveal has been reviewed.")
        return
    st.warning(f"{len(pending)} break-glass reveal(s) need review by a compliance officer other than the person who "
               "used it.")
    with st.form("access_log.review"):
        chosen = st.selectbox("Break-glass reveal", pending, format_func=_reveal_label)
        if chosen is not None:
            st.caption(f"Justification given: {md(chosen.get('justification', ''))}")
        note = st.text_area("Review note", max_chars=500, placeholder="What you checked and what you concluded")
        submitted = st.form_submit_button("Mark reviewed", type="primary")
    if not submitted or chosen is None:
        return
    try:
        session.record(review_event(who.user, who.role_name, chosen, note))
    except PermissionDenied as exc:
        st.error(md(exc))
    except AccessLogError as exc:
        st.error(f"The review was not recorded. {problems.shown(exc, who.role)}")
    else:
        st.session_state[_DONE] = f"Event {chosen['seq']} is marked reviewed; the review is recorded in the log."
        st.rerun()


def _known_users() -> list[str]:
    """Every user the log names (local accounts, single sign-on subjects `sso:<subject>`, demo roles, the OS
    accounts of commands), with the local accounts and demo roles not yet in it. This session keeps what it
    read and reads only the events appended since."""
    named: NamedUsers = users_named(session.paths(), st.session_state.get(_NAMED))
    st.session_state[_NAMED] = named
    accounts = [account.username for account in session.user_store().list_users()]
    return sorted(named.names | set(accounts) | {f"demo:{role.value}" for role in Role})


def reports(first: date, last: date) -> None:
    st.subheader("Reports")
    config = settings.load()
    hours = WorkingHours(*config.workday_hours, config.timezone)
    since = datetime.combine(first - timedelta(days=VOLUME_HISTORY_DAYS), time(), tzinfo=UTC)
    until = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)
    events = read_events(session.paths(), since=since, until=until)
    in_days = [e for e in events if str(e.get("ts", "")) >= first.isoformat()]
    sections = (
        (f"Access outside working hours ({hours.start_hour:02d}:00 to {hours.end_hour:02d}:00, Monday to Friday, "
         f"{hours.timezone})", after_hours(in_days, hours)),
        (f"A day far above the user's usual ({VOLUME_FACTOR} times their median day over the {VOLUME_HISTORY_DAYS} days "
         f"before, and at least {VOLUME_MIN_EVENTS} events)",
         [r for r in volume_spikes(events) if r["day"] >= first]),
        (f"Repeated denied attempts ({DENIED_COUNT} or more failed or refused within "
         f"{int(DENIED_WINDOW.total_seconds() // 60)} minutes)", denied_attempts(in_days)),
    )
    for title, found in sections:
        st.markdown(f"**{md(title)}**")
        if not found:
            st.caption("Nothing in these days.")
            continue
        table = pd.DataFrame(found)
        if "actions" in table:
            table["actions"] = table["actions"].map(
                lambda names: ", ".join(log_words.ACTION_WORDS.get(n, n) for n in names.split(", ")))
        st.dataframe(table, hide_index=True, column_config={c: st.column_config.Column(c.replace("_", " ").capitalize())
                                                             for c in table.columns})
    st.caption("The rules are in docs/SECURITY.md, 'Access-log reports'. Command-line events are not counted.")


def exports(who: session.SignedIn, events: list[dict], criteria: dict) -> None:
    if not can(who.role, Permission.EXPORT_ACCESS_LOG):
        return
    log, session_check = session.access_log(), session.download_check()
    left, right = st.columns(2)
    for column, fmt, label, mime, build in (
        (left, "csv", "Download CSV", "text/csv", lambda: export_csv(events).encode()),
        (right, "fhir", "Download FHIR AuditEvent bundle", "application/fhir+json",
         lambda: json.dumps(fhir_bundle(events), indent=1).encode()),
    ):
        event = AccessEvent(user=who.user, role=who.role_name, action="export", resource="access_log",
                            details={"format": fmt, "events": len(events), "criteria": criteria})
        extension = "csv" if fmt == "csv" else "json"
        column.download_button(label, data=tables.logged(build, event, log, session_check), file_name=f"access-log.{extension}",
                               mime=mime, key=f"access_log.{fmt}", on_click="ignore", icon=":material/download:")


def render() -> None:
    who = session.current()
    st.title("Access log")
    if done := st.session_state.pop(_DONE, None):
        st.success(done)
    verification()
    review_store_check()
    break_glass_reviews(who)
    st.subheader("Events")
    today = datetime.now(UTC).date()
    left, middle, right = st.columns([2, 2, 2])
    picked = left.date_input("Days (UTC)", value=(today - timedelta(days=DEFAULT_DAYS - 1), today), max_value=today,
                             format="YYYY-MM-DD", key="access_log.days")
    days = list(picked) if isinstance(picked, (tuple, list)) else [picked]
    first, last = (days[0], days[-1]) if days else (today, today)  # one day picked so far: that day
    part = middle.text_input("User (part of a name)", key="access_log.user", placeholder="any user").strip() or None
    chosen_users = middle.multiselect("Users", _known_users(), key="access_log.users", placeholder="any user")
    action = right.selectbox("Action", ["any", *ACTIONS], key="access_log.action",
                             format_func=lambda a: "any action" if a == "any" else log_words.ACTION_WORDS.get(a, a))
    claim_key = right.text_input("Claim key", key="access_log.claim", placeholder="any claim").strip().lower() or None
    break_glass_only = st.checkbox("Only break-glass reveals", key="access_log.break_glass")
    if break_glass_only:
        action = "phi_reveal"  # break-glass events are reveals: read only those, so the row limit holds them
    events = read_events(
        session.paths(), since=datetime.combine(first, time(), tzinfo=UTC),
        until=datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC),
        action=None if action == "any" else action, claim_key=claim_key, limit=MAX_ROWS,
        user_contains=part, users=chosen_users or None,
    )
    if break_glass_only:
        events = [e for e in events if needs_review(e)]
    if not events:
        st.info("No events match. Widen the days or clear the user, action or claim key.")
    else:
        st.caption(f"{len(events):,} events, newest first"
                   + (f" (the newest {MAX_ROWS:,} only)" if len(events) == MAX_ROWS else "") + ".")
        st.dataframe(log_words.rows(events), hide_index=True)
        criteria = {"from": first.isoformat(), "to": last.isoformat(), "user_contains": part, "users": chosen_users,
                    "action": action, "claim_key": claim_key, "break_glass_only": break_glass_only}
        exports(who, events, criteria)
    reports(first, last)


render()
