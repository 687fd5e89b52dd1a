"""Blind review's difference rules (review/blind_codes.py), on hand-made cases: each expected list was written
from the rules in the module's docstring before running them, and every proposal, taken into findings and
applied to the coder's codes (queries.drg.grouper.audited_codes, as the regrouping applies them), gives back the
auditor's codes."""
from __future__ import annotations

import pytest

from queries.drg.grouper import ClaimCode, audited_codes
from queries.finding_rules import check_findings
from review.blind_codes import BlindCodeError, BlindCodes, CoderCode, Diagnosis, Difference, differences, parse, proposed_rows

CODER = (CoderCode("ICD10CM_DX", "I5021", "Y"), CoderCode("ICD10CM_DX", "N179", "Y"), CoderCode("ICD10CM_DX", "E119", "Y"),
         CoderCode("ICD10CM_ADMIT", "R0602"), CoderCode("ICD10PCS", "02703ZZ"))


def blind(*dx: str, pcs: tuple[str, ...] = ("02703ZZ",), drg: str | None = "291", poa: str = "Y") -> BlindCodes:
    return BlindCodes(tuple(Diagnosis(code, poa) for code in dx), pcs, drg)


def found(diffs: list[Difference]) -> list[tuple[str, str | None, str | None, str | None, str | None]]:
    return [(d.kind, d.submitted_code, d.audited_code, d.finding, d.error_category) for d in diffs]


def applied(blind_codes: BlindCodes) -> list[tuple[str, str]]:
    """The coder's codes with every proposed finding taken, as the regrouping sees them (type, code; line order)."""
    rows = proposed_rows(CODER, differences(CODER, blind_codes, "291"))
    checked = check_findings(rows)
    assert [c.problem for c in checked] == [None] * len(rows)
    submitted = [ClaimCode(c.code_type, line, c.code, c.poa) for line, c in enumerate(CODER, start=1)]
    return [(c.code_type, c.code) for c in audited_codes(submitted, checked)]


def test_the_same_codes_in_another_order_after_the_principal_are_no_difference():
    codes = blind("I5021", "E119", "N179")
    assert differences(CODER, codes, "291") == []
    assert applied(codes) == [("ICD10CM_ADMIT", "R0602"), ("ICD10CM_DX", "I5021"), ("ICD10CM_DX", "N179"),
                              ("ICD10CM_DX", "E119"), ("ICD10PCS", "02703ZZ")]


def test_the_same_codes_with_another_principal_are_two_sequencing_revisions():
    codes = blind("N179", "I5021", "E119")
    assert found(differences(CODER, codes, "291")) == [
        ("principal", "I5021", "N179", "revise", "sequencing"), ("principal", "N179", "I5021", "revise", "sequencing")]
    dx = [code for kind, code in applied(codes) if kind == "ICD10CM_DX"]
    assert dx == ["N179", "I5021", "E119"]  # the principal (line 1) is now the auditor's


def test_a_secondary_the_auditor_did_not_find_is_deleted_and_one_the_coder_missed_is_added():
    missing = blind("I5021", "N179")
    assert found(differences(CODER, missing, "291")) == [("deleted", "E119", None, "delete", "unsupported_code")]
    extra = blind("I5021", "N179", "E119", "E785")
    assert found(differences(CODER, extra, "291")) == [("added", None, "E785", "add", "missing_code")]
    assert [code for kind, code in applied(extra) if kind == "ICD10CM_DX"] == ["I5021", "N179", "E119", "E785"]


def test_a_code_of_the_same_category_is_a_change_of_specificity_and_the_principal_a_wrong_code():
    codes = blind("J189", "N170", "E1165")
    assert found(differences(CODER, codes, "291")) == [
        ("principal", "I5021", "J189", "revise", "wrong_code"),
        ("changed", "N179", "N170", "revise", "specificity"), ("changed", "E119", "E1165", "revise", "specificity")]
    assert [code for kind, code in applied(codes) if kind == "ICD10CM_DX"] == ["J189", "N170", "E1165"]
    assert found(differences(CODER, blind("I5023", "N179", "E119"), "291")) == [
        ("principal", "I5021", "I5023", "revise", "specificity")]


def test_a_principal_found_among_the_secondaries_leaves_the_old_line_deleted():
    codes = blind("N179", "E119")  # the coder's principal I50.21 is not supported; N17.9 is the principal
    assert found(differences(CODER, codes, "291")) == [
        ("principal", "I5021", "N179", "revise", "sequencing"), ("deleted", "N179", None, "delete", "unsupported_code")]
    assert [code for kind, code in applied(codes) if kind == "ICD10CM_DX"] == ["N179", "E119"]


def test_procedures_poa_and_the_drg():
    codes = BlindCodes((Diagnosis("I5021", "Y"), Diagnosis("N179", "N"), Diagnosis("E119", "Y")), ("02703DZ", "0DTJ4ZZ"), "292")
    assert found(differences(CODER, codes, "291")) == [
        ("poa", "N179", "N179", None, None),
        ("changed", "02703ZZ", "02703DZ", "revise", "wrong_code"), ("added", None, "0DTJ4ZZ", "add", "missing_code"),
        ("drg", "291", "292", "revise", "drg")]
    assert differences(CODER, codes, "291")[0].detail == "POA Y -> N"
    assert found(differences(CODER, blind("I5021", "N179", "E119", drg="291"), "291")) == []  # the DRG agrees
    assert found(differences(CODER, blind("I5021", "N179", "E119", pcs=()), "291")) == [
        ("deleted", "02703ZZ", None, "delete", "unsupported_code")]


def test_only_accepted_differences_become_findings():
    diffs = differences(CODER, blind("I5021", "E119", "E785"), "291")
    assert found(diffs) == [("deleted", "N179", None, "delete", "unsupported_code"), ("added", None, "E785", "add", "missing_code")]
    rows = proposed_rows(CODER, diffs[1:])
    assert [(r["submitted_code"], r["audited_code"], r["finding"]) for r in rows] == [
        ("I5021", "I5021", "agree"), ("N179", "N179", "agree"), ("E119", "E119", "agree"), ("R0602", "R0602", "agree"),
        ("02703ZZ", "02703ZZ", "agree"), (None, "E785", "add")]


def test_the_entry_is_read_as_typed_and_normalised():
    codes = parse("I50.21 Y\nn17.9, w\n\nE11.9\n", "02703ZZ 0DTJ4ZZ", " 292 ")
    assert codes == BlindCodes((Diagnosis("I5021", "Y"), Diagnosis("N179", "W"), Diagnosis("E119", None)),
                               ("02703ZZ", "0DTJ4ZZ"), "292")
    assert parse("I10", "", "", inpatient=False) == BlindCodes((Diagnosis("I10"),), (), None)


@pytest.mark.parametrize(("diagnoses", "procedures", "drg", "sentence"), [
    ("I50.23 Y\nE11.99 Y", "", "291", "Diagnosis line 2: 'E11.99' is not an ICD-10-CM code; check it against the code book and save again."),
    ("E11 Y", "", "291", "Diagnosis line 1: E11 is a category, not a billable code; enter its complete code and save again."),
    ("I50.21 X", "", "291", "Diagnosis line 1: POA 'X' is not one of Y, N, U, W, 1 (leave it out if exempt)."),
    ("I50.21 Y extra", "", "291", "Diagnosis line 1: write one code and its POA (Y, N, U, W, 1, or nothing if exempt)."),
    ("", "", "291", "Enter at least the principal diagnosis (first line) before saving your codes."),
    ("I50.21", "0270ZZZ", "291", "Procedure line 1: '0270ZZZ' is not an ICD-10-PCS code (7 characters, e.g. 02703ZZ); correct it and save again."),
    ("I50.21", "", "29", "MS-DRG '29' is not an MS-DRG (three digits, e.g. 291); correct it and save again."),
    ("I50.21", "", "", "Enter the MS-DRG the record supports (three digits): this is an inpatient claim."),
])
def test_a_bad_entry_is_refused_in_one_sentence(diagnoses: str, procedures: str, drg: str, sentence: str):
    with pytest.raises(BlindCodeError) as refused:
        parse(diagnoses, procedures, drg)
    assert str(refused.value) == sentence
