"""Exports of access-log events: FHIR R4 AuditEvent resources (the standard exchange form) and CSV.

Events are the dicts returned by audit.log.read.read_events. Nothing here adds PHI: claims appear
only as their pseudonymous keys, and fields only by name.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from audit.permissions import PurposeOfUse

DCM = "http://dicom.nema.org/resources/ontology/DCM"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
SECURITY_ROLE_TYPE = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
USER_SYSTEM = "urn:codeaudit:user"
ROLE_SYSTEM = "urn:codeaudit:role"
CLAIM_SYSTEM = "urn:codeaudit:claim-key"

# action -> (DICOM event ID, DICOM event type or None, FHIR AuditEvent.action C/R/U/D/E)
EVENT_CODES: dict[str, tuple[tuple[str, str], tuple[str, str] | None, str]] = {
    "sign_in": (("110114", "User Authentication"), ("110122", "Login"), "E"),
    "sign_in_failed": (("110114", "User Authentication"), ("110122", "Login"), "E"),
    "sign_out": (("110114", "User Authentication"), ("110123", "Logout"), "E"),
    "timeout": (("110114", "User Authentication"), ("110123", "Logout"), "E"),
    "page_view": (("110112", "Query"), None, "R"),
    "phi_reveal": (("110110", "Patient Record"), None, "R"),
    "export": (("110106", "Export"), None, "R"),
    "ingest": (("110107", "Import"), None, "C"),
    "user_add": (("110113", "Security Alert"), ("110137", "User Security Attributes Changed"), "C"),
    "user_disable": (("110113", "Security Alert"), ("110137", "User Security Attributes Changed"), "U"),
    "user_reset_password": (("110113", "Security Alert"), ("110137", "User Security Attributes Changed"), "U"),
    "user_unlock": (("110113", "Security Alert"), ("110137", "User Security Attributes Changed"), "U"),
    "key_rotate": (("110113", "Security Alert"), ("110129", "Security Configuration"), "U"),
    "anchor": (("110101", "Audit Log Used"), None, "E"),
    # The installation (store, accounts, reviews, this log) put back from a backup archive: data created from an
    # outside source, as an ingest is.
    "restore": (("110107", "Import"), None, "C"),
    # A compliance officer's review of a break-glass reveal: a note added to the log about one of its events.
    "break_glass_review": (("110101", "Audit Log Used"), None, "C"),
    # The auditors' workflow: a draw selects claims (a query run); reviews and rebuttals create or update the
    # coding-review record of a claim (pseudonymous claim keys only).
    "sample_draw": (("110112", "Query"), None, "E"),
    "sample_complete": (("110110", "Patient Record"), None, "U"),
    "review_complete": (("110110", "Patient Record"), None, "C"),
    "review_correct": (("110110", "Patient Record"), None, "U"),
    "rebuttal": (("110110", "Patient Record"), None, "C"),
    "rebuttal_decision": (("110110", "Patient Record"), None, "U"),
    # A sample voided, or a claim to review replaced by a spare: an update of the sample's record.
    "sample_void": (("110110", "Patient Record"), None, "U"),
    "sample_replace": (("110110", "Patient Record"), None, "U"),
    "sample_report": (("110110", "Patient Record"), None, "C"),
    # Reading a finding's notes (free text that may hold PHI), like a reveal of identifiers.
    "finding_notes_reveal": (("110110", "Patient Record"), None, "R"),
    # A local account's second factor: set up or reset changes the account's security attributes; a code given
    # at sign-in (a recovery code used, a code refused) is part of the user's authentication.
    "mfa_enrol": (("110113", "Security Alert"), ("110137", "User Security Attributes Changed"), "C"),
    "mfa_reset": (("110113", "Security Alert"), ("110137", "User Security Attributes Changed"), "D"),
    "mfa_recovery_code": (("110114", "User Authentication"), ("110122", "Login"), "E"),
    "mfa_failed": (("110114", "User Authentication"), ("110122", "Login"), "E"),
}
OUTCOME_CODES = {"success": "0", "denied": "4", "failure": "8"}  # minor failure: refused; serious: broke
# HL7 v3 PurposeOfUse codes with their labels, straight from the codes the permissions accept.
PURPOSES = {purpose.value: purpose.label for purpose in PurposeOfUse}
# A formula's first character at the start of the value or of a line in it (a leading tab or CR counts too).
_FORMULA_LINE = re.compile(r"(?:^|(?<=[\r\n]))(?=[=+\-@\t\r])")
CSV_COLUMNS = (
    "seq", "ts", "user", "role", "action", "outcome", "resource", "claim_keys", "fields",
    "purpose_of_use", "justification", "details", "hash",
)


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _purpose(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The why: an HL7 PurposeOfUse code, with the user's justification as its text."""
    concept: dict[str, Any] = {}
    if code := event.get("purpose_of_use"):
        concept["coding"] = [_coding(ACT_REASON, code, PURPOSES.get(code))]
    if text := event.get("justification"):
        concept["text"] = text
    return [concept] if concept else []


def _agent(event: Mapping[str, Any]) -> dict[str, Any]:
    """The user who asked (requestor), with their role and purpose."""
    agent: dict[str, Any] = {
        "type": {"coding": [_coding(SECURITY_ROLE_TYPE, "humanuser", "human user")]},
        "who": {"identifier": {"system": USER_SYSTEM, "value": event["user"]}, "display": event["user"]},
        "requestor": True,
    }
    if event.get("role"):
        agent["role"] = [{"coding": [_coding(ROLE_SYSTEM, event["role"])], "text": event["role"]}]
    if purpose := _purpose(event):
        agent["purposeOfUse"] = purpose
    return agent


def _entities(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entity per claim (by pseudonymous key), and one for the resource with field names and details."""
    system_object = _coding(ENTITY_TYPE, "2", "System Object")
    entities = [
        {
            "what": {"identifier": {"system": CLAIM_SYSTEM, "value": key}},
            "type": system_object,
            "role": _coding(OBJECT_ROLE, "4", "Domain Resource"),
        }
        for key in event.get("claim_keys", ())
    ]
    detail = []
    if event.get("fields"):
        detail.append({"type": "fields", "valueString": ",".join(event["fields"])})
    if event.get("details"):
        detail.append({"type": "details", "valueString": json.dumps(event["details"], sort_keys=True)})
    if event.get("resource") or detail:
        resource: dict[str, Any] = {"type": system_object}
        if event.get("resource"):
            resource["name"] = event["resource"]
        if detail:
            resource["detail"] = detail
        entities.append(resource)
    return entities


def to_fhir(event: Mapping[str, Any]) -> dict[str, Any]:
    """One event as a FHIR R4 AuditEvent resource (a dict, ready for json.dumps)."""
    if event["action"] not in EVENT_CODES:
        raise ValueError(
            f"No FHIR mapping for access-log action {event['action']!r}; add it to EVENT_CODES in {__name__}."
        )
    (type_code, type_display), subtype, fhir_action = EVENT_CODES[event["action"]]
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": f"access-log-{event['seq']}",
        "type": _coding(DCM, type_code, type_display),
        "action": fhir_action,
        "recorded": event["ts"],
        "outcome": OUTCOME_CODES[event["outcome"]],
        "agent": [_agent(event)],
        "source": {
            "observer": {"display": "codeaudit"},
            "type": [_coding(SOURCE_TYPE, "4", "Application Server")],
        },
    }
    if subtype:
        resource["subtype"] = [_coding(DCM, *subtype)]
    if purpose := _purpose(event):
        resource["purposeOfEvent"] = purpose
    if entities := _entities(event):
        resource["entity"] = entities
    return resource


def export_fhir(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [to_fhir(event) for event in events]


def fhir_bundle(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A FHIR Bundle of type collection holding one AuditEvent per event."""
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in export_fhir(events)]}


def spreadsheet_safe(value: str) -> str:
    """Prefix text a spreadsheet would run as a formula (CSV injection: a justification such as
    '=HYPERLINK(...)' typed by a user), at the start of the value and after each line break in it: a reader
    that ends a row at a carriage return, even inside quotes, would start a row with that line."""
    return _FORMULA_LINE.sub("'", value)


def export_csv(events: Iterable[Mapping[str, Any]]) -> str:
    """One row per event with CSV_COLUMNS; lists are joined with ';', details are JSON. Every field is
    quoted, so a line break inside a value (a bare carriage return too) never ends the row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for event in events:
        row = {
            **{column: event.get(column, "") for column in CSV_COLUMNS},
            "claim_keys": ";".join(event.get("claim_keys", ())),
            "fields": ";".join(event.get("fields", ())),
            "details": json.dumps(event.get("details", {}), sort_keys=True),
        }
        writer.writerow([spreadsheet_safe(str(row[column])) for column in CSV_COLUMNS])
    return out.getvalue()
