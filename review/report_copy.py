"""The copy of a frozen sample report naming each claim by its claim number: the one rule the Audit sampling page
and `manage.py sample report --claim-numbers` share.

Claim numbers are PHI, so the copy is made only for a role that may reveal `claim_id` (audit/permissions.py),
with a purpose of use; every claim's reveal is recorded (`phi_reveal`) before its number is decrypted
(audit/phi_reveal.py), the copy is rendered in memory and never stored, and the caller records the returned
`export` event (`claim_numbers: true`, the copy's own SHA-256 and the frozen version's) before the copy leaves.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import duckdb

from audit import phi_reveal
from audit.events import AccessEvent
from audit.permissions import PhiField, PurposeOfUse, Role, authorize_reveal, parse_role
from config.paths import Paths
from review.db import ReviewDb
from review.report_versions import ReportVersion, export_event, with_claim_numbers


@dataclass(frozen=True)
class ClaimNumberCopy:
    pdf: bytes
    sha256: str
    claims: int
    export: AccessEvent  # to record before the copy is handed over


def claim_number_copy(paths: Paths, con: duckdb.DuckDBPyConnection, db: ReviewDb, version: ReportVersion, *, user: str,
                      role: Role | str, purpose: PurposeOfUse | str | None, justification: str,
                      record: phi_reveal.Record) -> ClaimNumberCopy:
    """Reveal the claim numbers of a report version's claims (each logged first) and render the copy.
    Raises PermissionDenied (a role that may not, a purpose not accepted) before anything is recorded or
    decrypted; AccessLogError (nothing more is decrypted) and phi_reveal.UnknownClaim propagate."""
    decision = authorize_reveal(role, [PhiField.CLAIM_ID], purpose or "", justification,
                                claim_in_sample=True)  # every claim of a report is drawn into its sample
    keys = [row["claim_key"] for row in version.content["claims"]]
    numbers = {key: phi_reveal.reveal(paths, con, decision, user, key, record).get(PhiField.CLAIM_ID.value, key)
               for key in keys}
    pdf = with_claim_numbers(db, version.sample_id, version.version, numbers)
    sha256 = hashlib.sha256(pdf).hexdigest()
    return ClaimNumberCopy(pdf, sha256, len(keys),
                           export_event(user, str(parse_role(role)), version, sha256, claim_numbers=True))
