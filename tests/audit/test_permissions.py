"""Every cell of the access matrix, written out here independently of the code, and docs/SECURITY.md
checked against the code so the two never drift."""
from __future__ import annotations

import re
from itertools import takewhile
from pathlib import Path

import pytest

from audit.events import ACTIONS
from audit.permissions import (
    ClaimScope,
    Page,
    Permission,
    PermissionDenied,
    PhiField,
    PurposeOfUse,
    Role,
    allowed_pages,
    authorize_reveal,
    can,
    needs_review,
    phi_fields,
    require,
    reveal_purposes,
    reveal_scopes,
)

SECURITY_MD = Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md"

ROLES = ("compliance_officer", "coding_manager", "auditor", "coder", "admin")

# Columns follow ROLES:      compliance manager auditor coder admin
EXPECTED_PAGES = {
    "overview":              (1, 1, 1, 0, 0),
    "accuracy":              (1, 1, 1, 0, 0),
    "where_errors":          (1, 1, 1, 0, 0),
    "specificity":           (1, 1, 0, 0, 0),
    "denials":               (1, 1, 0, 0, 0),
    "audit_sampling":        (0, 0, 1, 0, 0),
    "drg":                   (1, 1, 1, 0, 0),
    "peer_percentiles":      (1, 1, 1, 0, 0),
    "record_review":         (0, 0, 1, 0, 0),
    "my_findings":           (0, 0, 0, 1, 0),
    "rebuttals":             (0, 1, 0, 0, 0),
    "access_log":            (1, 0, 0, 0, 0),
    "admin":                 (0, 0, 0, 0, 1),
}
EXPECTED_PERMISSIONS = {
    "view_metric_detail":    (1, 1, 0, 0, 0),
    "export_aggregate_csv":  (1, 1, 1, 1, 0),
    "export_small_cells":    (1, 0, 1, 0, 0),
    "reveal_phi":            (1, 0, 1, 0, 0),
    "break_glass":           (1, 0, 1, 0, 0),
    "review_claims":         (0, 0, 1, 0, 0),
    "rebut_findings":        (0, 0, 0, 1, 0),
    "decide_rebuttals":      (0, 1, 0, 0, 0),
    "read_finding_notes":    (1, 1, 1, 1, 0),
    "export_access_log":     (1, 0, 0, 0, 0),
    "manage_users":          (0, 0, 0, 0, 1),
    "rotate_keys":           (0, 0, 0, 0, 1),
}
EXPECTED_PHI_FIELDS = {
    "claim_id":              (1, 0, 1, 0, 0),
    "patient_mrn":           (1, 0, 1, 0, 0),
    "patient_dob":           (1, 0, 1, 0, 0),
    "patient_name":          (1, 0, 0, 0, 0),
    "patient_zip":           (1, 0, 0, 0, 0),
}
EXPECTED_PURPOSES = {  # for a normal reveal; ETREAT is break-glass only
    "HOPERAT":               (1, 0, 1, 0, 0),
    "HPAYMT":                (1, 0, 1, 0, 0),
    "HCOMPL":                (1, 0, 0, 0, 0),
    "HLEGAL":                (1, 0, 0, 0, 0),
}
EXPECTED_CLAIM_SCOPES = {  # which claims a normal reveal may name; break-glass is not limited
    "any_claim":             (1, 0, 0, 0, 0),
    "sampled_claim":         (1, 0, 1, 0, 0),
}
UNKNOWN_ROLES = ("nurse", "", None, "Auditor", "ADMIN")


def cells(table: dict[str, tuple[int, ...]]) -> list:
    return [
        pytest.param(item, role, bool(flag), id=f"{role}-{item}")
        for item, row in table.items()
        for role, flag in zip(ROLES, row, strict=True)
    ]


def test_expected_tables_cover_every_role_page_permission_field_and_purpose():
    assert tuple(Role) == ROLES
    assert list(EXPECTED_PAGES) == list(Page)
    assert list(EXPECTED_PERMISSIONS) == list(Permission)
    assert list(EXPECTED_PHI_FIELDS) == list(PhiField)
    assert list(EXPECTED_PURPOSES) + ["ETREAT"] == list(PurposeOfUse)
    assert list(EXPECTED_CLAIM_SCOPES) == list(ClaimScope)


@pytest.mark.parametrize("scope, role, allowed", cells(EXPECTED_CLAIM_SCOPES))
def test_claim_scope_cell(scope, role, allowed):
    assert (ClaimScope(scope) in reveal_scopes(role)) is allowed


@pytest.mark.parametrize("page, role, allowed", cells(EXPECTED_PAGES))
def test_page_cell(page, role, allowed):
    assert can(role, Page(page)) is allowed
    assert (Page(page) in allowed_pages(role)) is allowed


@pytest.mark.parametrize("permission, role, allowed", cells(EXPECTED_PERMISSIONS))
def test_permission_cell(permission, role, allowed):
    assert can(role, Permission(permission)) is allowed
    if allowed:
        require(role, Permission(permission))
    else:
        with pytest.raises(PermissionDenied, match="may not"):
            require(role, Permission(permission))


@pytest.mark.parametrize("field, role, allowed", cells(EXPECTED_PHI_FIELDS))
def test_phi_field_cell(field, role, allowed):
    assert (PhiField(field) in phi_fields(role)) is allowed
    if allowed:
        assert authorize_reveal(role, [field], "HOPERAT", claim_in_sample=True).fields == (PhiField(field),)
    else:
        with pytest.raises(PermissionDenied):
            authorize_reveal(role, [field], "HOPERAT")


@pytest.mark.parametrize("purpose, role, allowed", cells(EXPECTED_PURPOSES))
def test_purpose_cell(purpose, role, allowed):
    assert (PurposeOfUse(purpose) in reveal_purposes(role)) is allowed
    if allowed:
        assert authorize_reveal(role, ["patient_mrn"], purpose, claim_in_sample=True).purpose == PurposeOfUse(purpose)
    else:
        with pytest.raises(PermissionDenied):
            authorize_reveal(role, ["patient_mrn"], purpose)


def test_pages_come_in_navigation_order():
    assert allowed_pages("compliance_officer") == [Page.OVERVIEW, Page.ACCURACY, Page.WHERE_ERRORS, Page.SPECIFICITY, Page.DENIALS,
                                                    Page.DRG, Page.PEER_PERCENTILES, Page.ACCESS_LOG]
    assert allowed_pages(Role.CODING_MANAGER) == [Page.OVERVIEW, Page.ACCURACY, Page.WHERE_ERRORS, Page.SPECIFICITY, Page.DENIALS,
                                                  Page.DRG, Page.PEER_PERCENTILES, Page.REBUTTALS]
    assert allowed_pages(Role.AUDITOR) == [Page.OVERVIEW, Page.ACCURACY, Page.WHERE_ERRORS, Page.AUDIT_SAMPLING, Page.DRG,
                                           Page.PEER_PERCENTILES, Page.RECORD_REVIEW]
    assert allowed_pages(Role.CODER) == [Page.MY_FINDINGS]


@pytest.mark.parametrize("role", UNKNOWN_ROLES)
def test_unknown_role_is_granted_nothing(role):
    assert allowed_pages(role) == []
    assert not any(can(role, what) for what in [*Page, *Permission])
    assert phi_fields(role) == [] and phi_fields(role, break_glass=True) == []
    assert reveal_purposes(role) == [] and reveal_purposes(role, break_glass=True) == []
    with pytest.raises(PermissionDenied, match="no known role.*Ask an administrator"):
        require(role, Page.OVERVIEW)
    with pytest.raises(PermissionDenied):
        authorize_reveal(role, ["patient_mrn"], "ETREAT", "emergency", break_glass=True)


def test_denial_is_a_sentence_naming_the_role_and_the_act():
    with pytest.raises(PermissionDenied) as info:
        require("coding_manager", Permission.REVEAL_PHI)
    assert str(info.value).startswith("The coding manager role may not reveal patient identifiers.")
    with pytest.raises(PermissionDenied, match="may not open the Admin page"):
        require("auditor", Page.ADMIN)


# --- PHI reveal rules -------------------------------------------------------------------------


def test_normal_reveal_is_granted_and_not_flagged():
    decision = authorize_reveal("auditor", ["claim_id", PhiField.PATIENT_MRN], "HPAYMT", " appeal 4411 ", claim_in_sample=True)
    assert decision.fields == (PhiField.CLAIM_ID, PhiField.PATIENT_MRN)
    assert decision.purpose is PurposeOfUse.HPAYMT
    assert decision.justification == "appeal 4411"
    assert not decision.break_glass and not decision.needs_review


@pytest.mark.parametrize("in_sample", [False, None])
def test_an_auditor_reveals_only_claims_in_an_audit_sample_unless_by_break_glass(in_sample):
    with pytest.raises(PermissionDenied, match="only of claims drawn into an audit sample") as refused:
        authorize_reveal("auditor", ["patient_mrn"], "HOPERAT", claim_in_sample=in_sample)
    assert "break-glass" in str(refused.value) and str(refused.value).count(". ") == 0
    emergency = authorize_reveal("auditor", ["patient_mrn"], "ETREAT", "chart needed now", break_glass=True,
                                 claim_in_sample=in_sample)
    assert emergency.needs_review
    assert not authorize_reveal("compliance_officer", ["patient_mrn"], "HCOMPL", claim_in_sample=in_sample).needs_review


@pytest.mark.parametrize("purpose", ["", "TREAT", "hoperat", "XYZ"])
def test_reveal_needs_a_valid_purpose(purpose):
    with pytest.raises(PermissionDenied, match="Choose one of: HOPERAT"):
        authorize_reveal("compliance_officer", ["patient_mrn"], purpose)


def test_etreat_is_refused_outside_break_glass():
    with pytest.raises(PermissionDenied, match="ETREAT is only for break-glass"):
        authorize_reveal("compliance_officer", ["patient_mrn"], "ETREAT", "urgent")


def test_reveal_needs_at_least_one_field_and_only_known_fields():
    with pytest.raises(PermissionDenied, match="No field was chosen"):
        authorize_reveal("auditor", [], "HOPERAT", claim_in_sample=True)
    with pytest.raises(PermissionDenied, match="may not reveal ssn"):
        authorize_reveal("auditor", ["patient_mrn", "ssn"], "HOPERAT", claim_in_sample=True)


def test_break_glass_reveals_every_field_and_is_flagged_for_review():
    reason = "Wrong-patient merge found in chart"
    decision = authorize_reveal("auditor", list(PhiField), "ETREAT", reason, break_glass=True)
    assert decision.fields == tuple(PhiField)
    assert decision.needs_review
    event = decision.access_event("dana", ["c0ffee"])
    assert (event.action, event.role, event.purpose_of_use) == ("phi_reveal", "auditor", "ETREAT")
    assert event.fields == tuple(f.value for f in PhiField)
    assert event.claim_keys == ("c0ffee",)
    assert event.justification == reason
    assert event.details == {"break_glass": True, "needs_review": True}


def test_one_review_rule_for_a_decision_and_for_an_event_read_back_from_the_log():
    granted = authorize_reveal("auditor", ["patient_name"], "ETREAT", "chart needed now", break_glass=True)
    logged = {"action": "phi_reveal", "outcome": "success", "details": granted.access_event("dana", ["c0ffee"]).details}
    assert granted.needs_review and needs_review(logged)
    assert not needs_review({**logged, "outcome": "denied"})  # a refused attempt revealed nothing
    assert not needs_review({"action": "phi_reveal", "outcome": "success", "details": {"break_glass": False}})
    assert not needs_review({"action": "export", "outcome": "success", "details": {"break_glass": True}})


@pytest.mark.parametrize("justification", ["", "   \n"])
def test_break_glass_needs_a_written_justification(justification):
    with pytest.raises(PermissionDenied, match="justification"):
        authorize_reveal("compliance_officer", ["patient_name"], "ETREAT", justification, break_glass=True)


@pytest.mark.parametrize("purpose", ["HOPERAT", "HCOMPL", ""])
def test_break_glass_needs_etreat(purpose):
    with pytest.raises(PermissionDenied, match="Choose one of: ETREAT"):
        authorize_reveal("compliance_officer", ["patient_name"], purpose, "urgent", break_glass=True)


@pytest.mark.parametrize("role", ["coding_manager", "coder", "admin"])
def test_roles_without_reveal_cannot_break_glass(role):
    with pytest.raises(PermissionDenied, match="may not use emergency"):
        authorize_reveal(role, ["patient_mrn"], "ETREAT", "urgent", break_glass=True)
    assert phi_fields(role, break_glass=True) == []


# --- docs/SECURITY.md agrees with the code ----------------------------------------------------


def doc_matrix(name: str) -> dict[tuple[str, str], bool]:
    """The table after `<!-- matrix: name -->`: {(row identifier, role): granted}."""
    lines = SECURITY_MD.read_text().splitlines()
    start = lines.index(f"<!-- matrix: {name} -->") + 1
    header, _rule, *rows = takewhile(lambda line: line.startswith("|"), lines[start:])
    roles = [cell.strip() for cell in header.strip("|").split("|")][1:]
    matrix = {}
    for row in rows:
        first, *marks = [cell.strip() for cell in row.strip("|").split("|")]
        item = re.match(r"`([^`]+)`", first).group(1)
        for role, mark in zip(roles, marks, strict=True):
            assert mark in ("yes", "no"), f"{name} table, {item}/{role}: write yes or no, not {mark!r}"
            matrix[(item, role)] = mark == "yes"
    return matrix


CODE_MATRICES = {
    "pages": lambda role: {p.value: can(role, p) for p in Page},
    "permissions": lambda role: {p.value: can(role, p) for p in Permission},
    "phi_fields": lambda role: {f.value: f in phi_fields(role) for f in PhiField},
    "purposes": lambda role: {p.value: p in reveal_purposes(role) for p in PurposeOfUse if p != "ETREAT"},
    "claim_scope": lambda role: {c.value: c in reveal_scopes(role) for c in ClaimScope},
}


@pytest.mark.parametrize("name", CODE_MATRICES)
def test_security_doc_matrix_equals_code(name):
    code = {(item, role.value): granted for role in Role for item, granted in CODE_MATRICES[name](role).items()}
    assert doc_matrix(name) == code


def test_security_doc_lists_the_access_log_actions():
    lines = SECURITY_MD.read_text().splitlines()
    start = lines.index("<!-- list: actions -->") + 1
    listed = re.findall(r"`([a-z_]+)`", "\n".join(takewhile(lambda line: line.startswith("- "), lines[start:])))
    assert tuple(listed) == ACTIONS
