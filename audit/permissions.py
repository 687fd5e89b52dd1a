"""Who may open which page, do what, and see which patient identifiers: the one place access is decided.

The dashboard builds its navigation from `allowed_pages(role)` and asks `can`/`require` before every
export, and `authorize_reveal` before every PHI reveal; no other code decides access. Anything not
granted here is denied, and an unknown role (or none, e.g. an unmapped SSO user) is granted nothing.
docs/SECURITY.md shows these tables and tests/audit/test_permissions.py keeps the two equal.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from audit.events import AccessEvent


class _Labelled(StrEnum):
    """A string enum whose members also carry the label shown to people."""

    label: str

    def __new__(cls, value: str, label: str) -> _Labelled:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class Role(_Labelled):
    COMPLIANCE_OFFICER = "compliance_officer", "Compliance officer"
    CODING_MANAGER = "coding_manager", "Coding manager"
    AUDITOR = "auditor", "Auditor"
    CODER = "coder", "Coder"
    ADMIN = "admin", "Administrator"


class Page(_Labelled):
    """Dashboard pages, in navigation order."""

    OVERVIEW = "overview", "Overview"
    ACCURACY = "accuracy", "Accuracy and error trends"
    WHERE_ERRORS = "where_errors", "Where errors concentrate"
    SPECIFICITY = "specificity", "Specificity"
    DENIALS = "denials", "Denials"
    AUDIT_SAMPLING = "audit_sampling", "Audit sampling"
    DRG = "drg", "DRG validation"
    PEER_PERCENTILES = "peer_percentiles", "Peer percentiles"
    RECORD_REVIEW = "record_review", "Record review"
    MY_FINDINGS = "my_findings", "My findings"
    REBUTTALS = "rebuttals", "Rebuttal decisions"
    ACCESS_LOG = "access_log", "Access log"
    ADMIN = "admin", "Admin"


class Permission(_Labelled):
    """Capabilities beyond opening a page. Labels complete the sentence "may not ..."."""

    VIEW_METRIC_DETAIL = "view_metric_detail", "drill down from a metric to coders and findings"
    EXPORT_AGGREGATE_CSV = "export_aggregate_csv", "export aggregated figures as CSV"
    EXPORT_SMALL_CELLS = "export_small_cells", "export counts from 1 to 10 without suppression"
    REVEAL_PHI = "reveal_phi", "reveal patient identifiers"
    BREAK_GLASS = "break_glass", "use emergency (break-glass) access to patient identifiers"
    REVIEW_CLAIMS = "review_claims", "draw audit samples and record review findings"
    REBUT_FINDINGS = "rebut_findings", "rebut review findings on their own claims"
    DECIDE_REBUTTALS = "decide_rebuttals", "decide coders' rebuttals"
    READ_FINDING_NOTES = "read_finding_notes", "read the rationale, reference and record location of review findings"
    EXPORT_ACCESS_LOG = "export_access_log", "export the access log"
    MANAGE_USERS = "manage_users", "manage user accounts"
    ROTATE_KEYS = "rotate_keys", "rotate encryption keys"


class PhiField(_Labelled):
    """Identifiers kept encrypted in the PHI vault; values are the vault's field names."""

    CLAIM_ID = "claim_id", "Claim number"
    PATIENT_MRN = "patient_mrn", "Medical record number"
    PATIENT_DOB = "patient_dob", "Date of birth"
    PATIENT_NAME = "patient_name", "Patient name"
    PATIENT_ZIP = "patient_zip", "ZIP code"


class PurposeOfUse(_Labelled):
    """HL7 v3 PurposeOfUse codes this dashboard accepts. TREAT is left out on purpose: nobody treats
    patients from a coding dashboard, so offering it would only invite a false reason."""

    HOPERAT = "HOPERAT", "Healthcare operations"
    HPAYMT = "HPAYMT", "Healthcare payment"
    HCOMPL = "HCOMPL", "Health compliance"
    HLEGAL = "HLEGAL", "Legal"
    ETREAT = "ETREAT", "Emergency (break-glass)"


class ClaimScope(_Labelled):
    """Which claims a normal (not break-glass) reveal may name."""

    ANY_CLAIM = "any_claim", "any claim in the store"
    SAMPLED_CLAIM = "sampled_claim", "a claim drawn into an audit sample (or drawn as its spare)"


class PermissionDenied(Exception):
    """Access refused; the message is a sentence for the person who asked, saying what to do next."""


_C, _M, _A, _CD, _AD = Role.COMPLIANCE_OFFICER, Role.CODING_MANAGER, Role.AUDITOR, Role.CODER, Role.ADMIN

PAGE_ROLES: Mapping[Page, frozenset[Role]] = {
    Page.OVERVIEW: frozenset({_C, _M, _A}),
    Page.ACCURACY: frozenset({_C, _M, _A}),
    Page.WHERE_ERRORS: frozenset({_C, _M, _A}),
    Page.SPECIFICITY: frozenset({_C, _M}),
    Page.DENIALS: frozenset({_C, _M}),
    Page.AUDIT_SAMPLING: frozenset({_A}),
    Page.DRG: frozenset({_C, _M, _A}),
    # Facilities for all three; coders only for the roles that may drill down to coders (view_metric_detail).
    Page.PEER_PERCENTILES: frozenset({_C, _M, _A}),
    Page.RECORD_REVIEW: frozenset({_A}),
    # A coder sees only the findings on their own claims (account coder_id), never PHI or another coder's data.
    Page.MY_FINDINGS: frozenset({_CD}),
    Page.REBUTTALS: frozenset({_M}),
    Page.ACCESS_LOG: frozenset({_C}),
    Page.ADMIN: frozenset({_AD}),
}

PERMISSION_ROLES: Mapping[Permission, frozenset[Role]] = {
    Permission.VIEW_METRIC_DETAIL: frozenset({_C, _M}),
    Permission.EXPORT_AGGREGATE_CSV: frozenset({_C, _M, _A, _CD}),
    # Auditors report sample results (3 errors in 30 claims) that are small cells by nature.
    Permission.EXPORT_SMALL_CELLS: frozenset({_C, _A}),
    Permission.REVEAL_PHI: frozenset({_C, _A}),
    Permission.BREAK_GLASS: frozenset({_C, _A}),
    Permission.REVIEW_CLAIMS: frozenset({_A}),
    Permission.REBUT_FINDINGS: frozenset({_CD}),
    Permission.DECIDE_REBUTTALS: frozenset({_M}),
    # A finding's notes are free text that may hold PHI (review/notes.py): the auditor who writes them, the coder
    # who rebuts the finding (own claims only), the manager who decides the rebuttal and the compliance officer.
    Permission.READ_FINDING_NOTES: frozenset({_C, _M, _A, _CD}),
    Permission.EXPORT_ACCESS_LOG: frozenset({_C}),
    Permission.MANAGE_USERS: frozenset({_AD}),
    Permission.ROTATE_KEYS: frozenset({_AD}),
}

# Fields a normal (not break-glass) reveal may show. An auditor pulls the chart by MRN and claim
# number and confirms it by date of birth; the name and ZIP code are not needed for that.
PHI_FIELD_ROLES: Mapping[PhiField, frozenset[Role]] = {
    PhiField.CLAIM_ID: frozenset({_C, _A}),
    PhiField.PATIENT_MRN: frozenset({_C, _A}),
    PhiField.PATIENT_DOB: frozenset({_C, _A}),
    PhiField.PATIENT_NAME: frozenset({_C}),
    PhiField.PATIENT_ZIP: frozenset({_C}),
}

# Claims a normal reveal may name. An auditor pulls charts for the claims of the samples they work (any sample
# in the review store: there is no assignment of samples to auditors), so a claim outside every sample is
# refused; break-glass stays available, logged and reviewed.
CLAIM_SCOPE_ROLES: Mapping[ClaimScope, frozenset[Role]] = {
    ClaimScope.ANY_CLAIM: frozenset({_C}),
    ClaimScope.SAMPLED_CLAIM: frozenset({_C, _A}),
}

# Purposes for a normal reveal. ETREAT is absent: it is the break-glass purpose and nothing else.
PURPOSE_ROLES: Mapping[PurposeOfUse, frozenset[Role]] = {
    PurposeOfUse.HOPERAT: frozenset({_C, _A}),
    PurposeOfUse.HPAYMT: frozenset({_C, _A}),
    PurposeOfUse.HCOMPL: frozenset({_C}),
    PurposeOfUse.HLEGAL: frozenset({_C}),
}


def parse_role(role: Role | str | None) -> Role | None:
    """The Role for a stored or SSO-mapped name; None (no access) for anything unknown."""
    try:
        return Role(role)
    except ValueError:
        return None


_Item = TypeVar("_Item", Page, Permission, PhiField, PurposeOfUse)


def _granted(table: Mapping[_Item, frozenset[Role]], role: Role | str | None) -> list[_Item]:
    known = parse_role(role)
    return [item for item, roles in table.items() if known in roles]


def allowed_pages(role: Role | str | None) -> list[Page]:
    """The pages this role's navigation holds, in order; a page not listed does not exist for it."""
    return _granted(PAGE_ROLES, role)


def can(role: Role | str | None, what: Permission | Page) -> bool:
    table = PAGE_ROLES if isinstance(what, Page) else PERMISSION_ROLES
    return parse_role(role) in table.get(what, frozenset())


def require(role: Role | str | None, what: Permission | Page) -> None:
    """Raise PermissionDenied unless `can(role, what)`."""
    if can(role, what):
        return
    known = parse_role(role)
    if known is None:
        raise PermissionDenied(
            f"Your account has no known role ({role!r}), so it has no access. Ask an administrator "
            f"to assign one of: {', '.join(Role)}."
        )
    act = f"open the {what.label} page" if isinstance(what, Page) else what.label
    raise PermissionDenied(
        f"The {known.label.lower()} role may not {act}. "
        "If your work needs it, ask your compliance officer (roles are listed in docs/SECURITY.md)."
    )


def phi_fields(role: Role | str | None, *, break_glass: bool = False) -> list[PhiField]:
    """Fields this role may reveal; break-glass widens a permitted role to every field."""
    if break_glass:
        return list(PhiField) if can(role, Permission.BREAK_GLASS) else []
    return _granted(PHI_FIELD_ROLES, role) if can(role, Permission.REVEAL_PHI) else []


def reveal_purposes(role: Role | str | None, *, break_glass: bool = False) -> list[PurposeOfUse]:
    """The purposes to offer this role when it asks to reveal PHI."""
    if break_glass:
        return [PurposeOfUse.ETREAT] if can(role, Permission.BREAK_GLASS) else []
    return _granted(PURPOSE_ROLES, role) if can(role, Permission.REVEAL_PHI) else []


def reveal_scopes(role: Role | str | None) -> list[ClaimScope]:
    """The claims this role's normal reveal may name (break-glass is not limited by them)."""
    return _granted(CLAIM_SCOPE_ROLES, role) if can(role, Permission.REVEAL_PHI) else []


@dataclass(frozen=True)
class RevealDecision:
    """A granted PHI reveal. Record `access_event(...)` in the access log before showing any value."""

    role: Role
    fields: tuple[PhiField, ...]
    purpose: PurposeOfUse
    justification: str
    break_glass: bool

    @property
    def needs_review(self) -> bool:
        return needs_review({"action": "phi_reveal", "details": {"break_glass": self.break_glass}})

    def access_event(self, user: str, claim_keys: Sequence[str]) -> AccessEvent:
        return AccessEvent(
            user=user,
            role=self.role.value,
            action="phi_reveal",
            claim_keys=tuple(claim_keys),
            fields=tuple(f.value for f in self.fields),
            purpose_of_use=self.purpose.value,
            justification=self.justification,
            details={"break_glass": self.break_glass, "needs_review": self.needs_review},
        )


def needs_review(event: Mapping[str, Any]) -> bool:
    """Whether an access must be reviewed after the fact on the Access log page: a granted break-glass
    reveal. The one rule, for a reveal about to be recorded (RevealDecision) and for an event read back
    from the log (a dict as stored: action, outcome, details)."""
    details = event.get("details") or {}
    return (event.get("action") == "phi_reveal" and event.get("outcome", "success") == "success"
            and details.get("break_glass") is True)


def review_refusal(reviewer: str, role: Role | str | None, reveal: Mapping[str, Any]) -> str | None:
    """Why `reviewer` may not mark this event reviewed, or None when they may: only a break-glass reveal that
    needs review (needs_review), only by a role that works the access log, never by the person who used it
    (a compliance officer's own break-glass is reviewed by another compliance officer)."""
    if not needs_review(reveal):
        return "Only a granted break-glass reveal needs a review."
    if not can(role, Page.ACCESS_LOG):
        return "Only a compliance officer reviews break-glass reveals."
    if reveal.get("user") == reviewer:
        return "You used this break-glass access yourself: another compliance officer must review it."
    return None


def _choices(items: Iterable[_Labelled]) -> str:
    return ", ".join(f"{item.value} ({item.label})" for item in items) or "none"


def authorize_reveal(
    role: Role | str | None,
    fields: Iterable[PhiField | str],
    purpose: PurposeOfUse | str,
    justification: str = "",
    *,
    break_glass: bool = False,
    claim_in_sample: bool | None = None,
) -> RevealDecision:
    """Grant a PHI reveal or raise PermissionDenied saying why.

    A normal reveal needs a role with reveal_phi, one of its purposes and only its fields, for a claim in its
    claim scope: `claim_in_sample` says whether the claim is drawn into an audit sample (the caller asks the
    review store; None, unknown, counts as not).
    Break-glass needs a role with break_glass, purpose ETREAT and a written justification, may show
    every field, and is flagged for review.
    """
    require(role, Permission.BREAK_GLASS if break_glass else Permission.REVEAL_PHI)
    known = Role(role)
    purposes = reveal_purposes(known, break_glass=break_glass)
    if purpose not in purposes:
        problem = (
            f"Purpose of use {str(purpose)!r} is not accepted here." if purpose else "A purpose of use is required."
        )
        hint = " ETREAT is only for break-glass access." if purpose == PurposeOfUse.ETREAT else ""
        raise PermissionDenied(f"{problem}{hint} Choose one of: {_choices(purposes)}.")
    reason = justification.strip()
    if break_glass and not reason:
        raise PermissionDenied("Break-glass access needs a written justification; say why this is an emergency.")
    scopes = reveal_scopes(known)
    if not break_glass and ClaimScope.ANY_CLAIM not in scopes and not (claim_in_sample and ClaimScope.SAMPLED_CLAIM in scopes):
        raise PermissionDenied(f"The {known.label.lower()} role reveals identifiers only of claims drawn into an audit "
                               "sample: open the claim from its sample's worklist, or use break-glass access (recorded "
                               "and reviewed) if this is an emergency.")
    requested = tuple(dict.fromkeys(fields))
    permitted = phi_fields(known, break_glass=break_glass)
    refused = [str(f) for f in requested if f not in permitted]
    if refused or not requested:
        problem = (
            f"The {known.label.lower()} role may not reveal {', '.join(refused)}." if refused else "No field was chosen."
        )
        raise PermissionDenied(f"{problem} Ask for one or more of: {_choices(permitted)}.")
    return RevealDecision(
        role=known,
        fields=tuple(PhiField(f) for f in requested),
        purpose=PurposeOfUse(purpose),
        justification=reason,
        break_glass=break_glass,
    )
