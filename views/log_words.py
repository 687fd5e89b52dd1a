"""Access-log events as a compliance officer reads them: actions, outcomes, roles, identifiers and purposes in
words, the resource said plainly, and the details as 'name: value' text instead of raw JSON."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from audit.permissions import Page, PhiField, PurposeOfUse, parse_role

ACTION_WORDS = {
    "sign_in": "Signed in", "sign_in_failed": "Sign-in failed", "sign_out": "Signed out",
    "timeout": "Signed out when idle or at the session limit", "page_view": "Opened a page", "phi_reveal": "Revealed patient identifiers",
    "break_glass_review": "Reviewed a break-glass reveal", "export": "Exported",
    "sample_draw": "Drew an audit sample", "sample_complete": "Completed an audit sample",
    "review_complete": "Completed a claim review", "review_correct": "Corrected a completed claim review",
    "rebuttal": "Rebutted review findings", "rebuttal_decision": "Decided a rebuttal",
    "user_add": "Added an account", "user_disable": "Disabled or enabled an account",
    "user_reset_password": "Reset a password", "user_unlock": "Unlocked an account",
    "key_rotate": "Rotated the data key", "ingest": "Loaded data", "anchor": "Anchored the log",
    "restore": "Restored this installation from a backup",
    "sample_void": "Voided an audit sample", "sample_replace": "Replaced a sampled claim with a spare",
    "sample_report": "Froze a new version of a sample report",
    "finding_notes_reveal": "Read the notes of review findings",
    "mfa_enrol": "Set up a second factor", "mfa_reset": "Reset a second factor",
    "mfa_recovery_code": "Signed in with a recovery code", "mfa_failed": "Second-factor code refused",
}
OUTCOME_WORDS = {"success": "Done", "failure": "Failed", "denied": "Refused"}
COLUMNS = {
    "seq": "Event", "ts": "Time (UTC)", "user": "User", "role": "Role", "action": "Action", "outcome": "Outcome",
    "resource": "What", "claim_keys": "Claim keys", "fields": "Identifiers", "purpose_of_use": "Purpose",
    "justification": "Justification or note", "details": "Details",
}


def _label(enum: type, value: str) -> str:
    try:
        return enum(value).label
    except ValueError:
        return value


def resource(text: str) -> str:
    """'page:overview' -> 'Overview page', 'csv:overview-kpis' -> 'CSV overview-kpis', 'parquet:export' -> 'Parquet
    export', 'event:12' -> 'event 12'."""
    kind, _, name = str(text).partition(":")
    if kind == "page" and name:
        return f"{_label(Page, name)} page"
    if kind == "csv" and name:
        return f"CSV {name}"
    if kind == "parquet" and name:
        return f"Parquet {name}"
    if kind == "event" and name:
        return f"event {name}"
    return str(text).replace("_", " ")


def details(value: Any) -> str:
    """{'filters': {'payer': ['Medicare']}, 'break_glass': True} -> 'filters: payer Medicare; break glass: yes'."""
    if isinstance(value, Mapping):
        parts = [f"{str(key).replace('_', ' ')}: {details(item)}" for key, item in value.items()
                 if item not in (None, "", [], {})]
        return "; ".join(parts)
    if isinstance(value, (list, tuple)):
        return ", ".join(details(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def rows(events: list[dict]) -> pd.DataFrame:
    """The events table, newest first, every column in words."""
    table = []
    for e in events:
        role = parse_role(e.get("role"))
        purpose = e.get("purpose_of_use", "")
        table.append({
            "Event": e.get("seq"), "Time (UTC)": str(e.get("ts", "")).replace("T", " ").rstrip("Z")[:19],
            "User": e.get("user", ""), "Role": role.label if role else str(e.get("role", "")),
            "Action": ACTION_WORDS.get(e.get("action", ""), str(e.get("action", ""))),
            "Outcome": OUTCOME_WORDS.get(e.get("outcome", ""), str(e.get("outcome", ""))),
            "What": resource(e.get("resource", "")), "Claim keys": ", ".join(e.get("claim_keys", ())),
            "Identifiers": ", ".join(_label(PhiField, f) for f in e.get("fields", ())),
            "Purpose": f"{purpose}: {_label(PurposeOfUse, purpose)}" if purpose else "",
            "Justification or note": e.get("justification", ""), "Details": details(e.get("details", {})),
        })
    return pd.DataFrame(table, columns=list(COLUMNS.values()))
