"""Access log: who did what, when and why; whether the log is intact (verify); break-glass reveals to
review; exports as CSV or a FHIR R4 Bundle of AuditEvents, each export itself recorded first."""
from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pandas as pd
import streamlit as st

from audit.events import ACTIONS, AccessEvent
from audit.log.export import export_csv, fhir_bundle
from audit.log.read import read_events
from audit.log.verify import fingerprint, verify
from audit.permissions import Permission, can, needs_review
from views import session, tables
from views.text import md

MAX_ROWS = 2_000
DEFAULT_DAYS = 7
_VERIFIED = "access_log.verified"


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


def as_rows(events: list[dict]) -> pd.DataFrame:
    columns = ["seq", "ts", "user", "role", "action", "outcome", "resource", "claim_keys", "fields",
               "purpose_of_use", "justification", "details"]
    return pd.DataFrame([{
        **{c: e.get(c, "") for c in columns},
        "claim_keys": ", ".join(e.get("claim_keys", ())),
        "fields": ", ".join(e.get("fields", ())),
        "details": json.dumps(e.get("details", {}), sort_keys=True),
    } for e in events], columns=columns)


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
    verification()
    today = datetime.now(UTC).date()
    left, middle, right = st.columns([2, 2, 1])
    picked = left.date_input("Days (UTC)", value=(today - timedelta(days=DEFAULT_DAYS - 1), today), max_value=today,
                             format="YYYY-MM-DD", key="access_log.days")
    days = list(picked) if isinstance(picked, (tuple, list)) else [picked]
    first, last = (days[0], days[-1]) if days else (today, today)  # one day picked so far: that day
    user = middle.text_input("User", key="access_log.user", placeholder="any user").strip() or None
    action = right.selectbox("Action", ["any", *ACTIONS], key="access_log.action")
    claim_key = st.text_input("Claim key", key="access_log.claim", placeholder="any claim").strip().lower() or None
    break_glass_only = st.checkbox("Only break-glass reveals awaiting review", key="access_log.break_glass")
    if break_glass_only:
        action = "phi_reveal"  # break-glass events are reveals: read only those, so the row limit holds them
    events = read_events(
        session.paths(), since=datetime.combine(first, time(), tzinfo=UTC),
        until=datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC),
        user=user, action=None if action == "any" else action, claim_key=claim_key, limit=MAX_ROWS,
    )
    if break_glass_only:
        events = [e for e in events if needs_review(e)]
    review = sum(needs_review(e) for e in events)
    if review:
        st.warning(f"{review} break-glass reveal(s) in this view need review by a compliance officer other than the "
                   "person who used it.")
    if not events:
        st.info("No events match. Widen the days or clear the user, action or claim key.")
        return
    st.caption(f"{len(events):,} events, newest first" + (f" (the newest {MAX_ROWS:,} only)" if len(events) == MAX_ROWS else "") + ".")
    st.dataframe(as_rows(events), hide_index=True, column_config={"ts": st.column_config.Column("time (UTC)")})
    criteria = {"from": first.isoformat(), "to": last.isoformat(), "user": user, "action": action,
                "claim_key": claim_key, "break_glass_only": break_glass_only}
    exports(who, events, criteria)


render()
