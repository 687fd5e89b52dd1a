"""The MS-DRG grouper and the Medicare Code Editor on hand-written claims whose DRG follows from the MS-DRG
definitions, the grouper version chosen by discharge date, refusals, regrouping an auditor's codes and the
proposed DRG finding. Every expected DRG is stated from the definitions (v43 manual), not read back from
the package."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pytest

from queries.drg import engine as drg_engine
from queries.drg.grouper import (
    ClaimCode,
    Encounter,
    FindingMismatch,
    audited_codes,
    grouper_version,
    grouper_versions,
    propose_drg_finding,
)
from queries.drg.grouping import CLAIM_SCHEMA, CODE_SCHEMA, group_claims, regroup, results

MAY_2026 = Encounter(date(2026, 5, 3), 76, "M", "01")


def codes(principal: str, *secondary: str, procedures: tuple[str, ...] = (), poa: str = "Y") -> list[ClaimCode]:
    """ICD10CM_DX line 1 the principal diagnosis, the others from line 2; ICD10PCS from line 1."""
    dx = [ClaimCode("ICD10CM_DX", line, code, poa) for line, code in enumerate((principal, *secondary), start=1)]
    return dx + [ClaimCode("ICD10PCS", line, code) for line, code in enumerate(procedures, start=1)]


@pytest.mark.parametrize(("claim", "drg", "title"), [
    # MDC 5, heart failure and shock (291 with MCC, 292 with CC, 293 without CC/MCC): I50.20 as principal.
    (codes("I5020"), "293", "Heart Failure and Shock without CC/MCC"),
    (codes("I5020", "N170"), "291", "Heart Failure and Shock with MCC"),          # N17.0 acute tubular necrosis: MCC
    (codes("I5020", "E871"), "292", "Heart Failure and Shock with CC"),           # E87.1 hyponatraemia: CC
    (codes("I5020", "I10", "E785"), "293", "Heart Failure and Shock without CC/MCC"),  # neither is a CC
    (codes("I5020", "I5021"), "293", "Heart Failure and Shock without CC/MCC"),   # an MCC excluded with an HF principal
    # 689/690 split only on MCC: a CC does not lift a kidney infection out of 690.
    (codes("N390", "E871"), "690", "Kidney and Urinary Tract Infections without MCC"),
    # 313 chest pain has no severity split at all.
    (codes("R079", "N170"), "313", "Chest Pain"),
    # Surgical: a total knee replacement for osteoarthritis, 469/470 split on MCC.
    (codes("M1711", procedures=("0SRC0J9",)), "470", "Major Hip and Knee Joint Replacement or Reattachment of Lower Extremity without MCC"),
])
def test_drgs_follow_the_definitions(claim, drg, title):
    result = regroup(MAY_2026, claim)
    assert (result.drg, result.title, result.grouped, result.grouper_version, result.fiscal_year) == (drg, title, True, 431, 2026)


def test_discharge_status_expired_moves_an_ami_to_the_expired_family():
    ami = codes("I214", "E871")  # NSTEMI with a CC: 281 discharged alive, 284 expired (status 20)
    assert regroup(MAY_2026, ami).drg == "281"
    assert regroup(Encounter(date(2026, 5, 3), 76, "M", "20"), ami).drg == "284"


def test_which_secondary_diagnoses_act_as_cc_or_mcc():
    result = regroup(MAY_2026, codes("I5020", "E1165", "N170", "E871"))
    assert result.drg == "291"
    # E11.65 is no CC and is not listed; N17.0 (line 3) carries the DRG; E87.1 (line 4) is a CC that does not.
    assert [(c.line, c.code, c.severity, c.affects_final_drg, c.excluded) for c in result.cc_mcc] == [
        (3, "N170", "MCC", True, False), (4, "E871", "CC", False, False)]
    assert result.rests_on_cc_mcc and not result.single_cc_mcc and result.severity_split
    excluded = regroup(MAY_2026, codes("I5020", "I5021"))
    assert [(c.severity, c.affects_final_drg, c.excluded) for c in excluded.cc_mcc] == [("MCC", False, True)]
    assert not excluded.rests_on_cc_mcc
    single = regroup(MAY_2026, codes("I5020", "N170"))
    assert single.rests_on_cc_mcc and single.single_cc_mcc


def test_a_hospital_acquired_mcc_not_present_on_admission_does_not_carry_the_drg():
    """L89.154 (stage 4 pressure ulcer) is an MCC and a hospital-acquired condition: with POA Y it gives 291;
    with POA N the final DRG is 293 and the code, though the grouper still marks it, carries nothing."""
    present = regroup(MAY_2026, codes("I5020", "L89154"))
    acquired = regroup(MAY_2026, [ClaimCode("ICD10CM_DX", 1, "I5020", "Y"), ClaimCode("ICD10CM_DX", 2, "L89154", "N")])
    assert (present.drg, present.rests_on_cc_mcc) == ("291", True)
    assert (acquired.drg, acquired.rests_on_cc_mcc, acquired.cc_mcc[0].severity) == ("293", False, "MCC")


def test_mce_external_cause_code_as_principal_diagnosis():
    result = regroup(MAY_2026, codes("V0001XA", "E871"))  # pedestrian injury: an external-cause code
    assert [e.name for e in result.mce_edits] == ["E_CODE_AS_PDX"] and result.mce_edit_type == "PREPAYMENT"
    assert (result.drg, result.return_code, result.grouped) == ("999", "DX_CANNOT_BE_PDX", False)
    assert "external-cause" in result.ungroupable_reason


def test_mce_sex_conflict_until_the_edit_was_retired_in_fy2025():
    """C61 (prostate cancer) on a female patient: the MCE's sex-conflict edit fires for a discharge in FY2024
    (v41.1) and not from 2024-10-01 (v42.0), when CMS removed the edit."""
    prostate = codes("C61")
    before = regroup(Encounter(date(2024, 9, 30), 70, "F", "01"), prostate)
    after = regroup(Encounter(date(2024, 10, 1), 70, "F", "01"), prostate)
    assert (before.grouper_version, [e.name for e in before.mce_edits]) == (411, ["SEX_CONFLICT"])
    assert (after.grouper_version, after.mce_edits) == (420, ())
    assert regroup(Encounter(date(2024, 9, 30), 70, "M", "01"), prostate).mce_edits == ()


def test_mce_invalid_code_as_principal():
    result = regroup(MAY_2026, codes("E11"))  # a category header, not a billable code
    assert [e.name for e in result.mce_edits] == ["INVALID_CODE"] and result.return_code == "INVALID_PDX"


@pytest.mark.parametrize(("discharge", "version"), [
    (date(2022, 9, 30), None), (date(2022, 10, 1), 400), (date(2023, 3, 31), 400), (date(2023, 4, 1), 401),
    (date(2023, 9, 30), 401), (date(2023, 10, 1), 410), (date(2024, 4, 1), 411), (date(2025, 10, 1), 430),
    (date(2026, 3, 31), 430), (date(2026, 4, 1), 431), (date(2026, 9, 30), 431), (date(2026, 10, 1), 440),
    (date(2027, 3, 31), 440), (date(2027, 4, 1), None),
])
def test_version_follows_the_discharge_date(discharge, version):
    found = grouper_version(discharge)
    assert (found.number if found else None) == version
    result = regroup(Encounter(discharge, 70, "M", "01"), codes("I5020"))
    assert result.grouper_version == version and result.fiscal_year == discharge.year + (discharge.month >= 10)
    assert (result.drg == "293") == (version is not None)


def test_versions_cover_fy2023_to_march_2027_without_gaps():
    versions = grouper_versions()
    assert [v.label for v in versions][:2] == ["MS-DRG v40.0", "MS-DRG v40.1"] and versions[-1].label == "MS-DRG v44.0"
    assert all(a.last_day.toordinal() + 1 == b.first_day.toordinal() for a, b in zip(versions, versions[1:]))
    assert [regroup(Encounter(day, 70, "M", "01"), codes("I5020")).fiscal_year for day in (date(2025, 9, 30), date(2025, 10, 1))] == [
        2025, 2026]


@pytest.mark.parametrize(("encounter", "claim", "reason"), [
    (Encounter(None, 70, "M", "01"), codes("I5020"), "discharge_date is blank"),
    (Encounter(date(2021, 6, 1), 70, "M", "01"), codes("I5020"), "discharged 2021-06-01, outside 2022-10-01 to 2027-03-31"),
    (Encounter(date(2026, 5, 3), None, "M", "01"), codes("I5020"), "patient age (patient_dob) not given"),
    (Encounter(date(2026, 5, 3), 70, None, None), codes("I5020"), "patient_sex, discharge_status not given"),
    (MAY_2026, [ClaimCode("ICD10CM_DX", 2, "I5020", "Y")], "no principal diagnosis (ICD10CM_DX line 1)"),
])
def test_a_claim_missing_what_the_grouper_needs_is_refused_with_its_reason(encounter, claim, reason):
    result = regroup(encounter, claim)
    assert result.drg is None and result.grouper_version is None
    assert not result.grouped and reason in result.ungroupable_reason and result.mce_edits == ()


def test_regrouping_the_auditors_codes_proposes_the_drg_finding():
    submitted = codes("I5020", "N170")
    assert regroup(MAY_2026, submitted).drg == "291"
    audited = [c for c in submitted if c.code != "N170"]  # the auditor deletes the unsupported MCC
    regrouped = regroup(MAY_2026, audited)
    weights = {("291", 2026): 1.3412, ("293", 2026): 0.6841, ("291", 2025): 9.9}
    proposal = propose_drg_finding("291", regrouped, weights)
    assert (proposal.finding, proposal.submitted_code, proposal.audited_code, proposal.error_category) == ("revise", "291", "293", "drg")
    assert proposal.weight_difference == pytest.approx(0.6841 - 1.3412)
    assert propose_drg_finding("291", regrouped, {}).weight_difference is None  # weights unknown: no difference
    agree = propose_drg_finding("291", regroup(MAY_2026, submitted), weights)
    assert (agree.finding, agree.weight_difference) == ("agree", 0.0)
    nothing = propose_drg_finding("291", regroup(MAY_2026, [c for c in submitted if c.line != 1]), weights)
    assert nothing.finding is None and "principal" in nothing.reason


def test_format_md_gives_the_version_table_the_code_uses():
    text = (Path(__file__).resolve().parents[3] / "docs" / "FORMAT.md").read_text()
    documented = re.findall(r"\| (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d) \| v(\d\d)\.(\d) \| (\d{4}) \|", text)
    assert documented == [(f"{v.first_day}", f"{v.last_day}", str(v.number // 10), str(v.number % 10), str(v.fiscal_year))
                          for v in grouper_versions()]


class Finding(NamedTuple):
    """A code-level finding as the review worklist holds one (queries.drg.grouper.CodeFinding)."""

    code_type: str
    submitted_code: str | None
    audited_code: str | None
    finding: str


def test_the_audited_code_set_applies_revise_add_and_delete_findings():
    submitted = [*codes("I5020", "N170", "E871", "E871"), ClaimCode("ICD10PCS", 1, "02HV33Z")]
    audited = audited_codes(submitted, [
        Finding("ICD10CM_DX", "I5020", "I5020", "agree"),
        Finding("ICD10CM_DX", "N170", None, "delete"),         # the unsupported MCC
        Finding("ICD10CM_DX", "E871", "E870", "revise"),       # the first E87.1 (line 3); its POA stays
        Finding("ICD10CM_DX", "E871", "E872", "revise"),       # the second one (line 4), not the code just revised
        Finding("ICD10CM_DX", None, "J9601", "add"),           # after the last diagnosis line
        Finding("ICD10PCS", None, "5A1955Z", "add"),
        Finding("MSDRG", "291", "291", "agree"),               # the DRG is the result, not a code
    ])
    assert audited == [ClaimCode("ICD10CM_DX", 1, "I5020", "Y"), ClaimCode("ICD10CM_DX", 3, "E870", "Y"),
                       ClaimCode("ICD10CM_DX", 4, "E872", "Y"), ClaimCode("ICD10CM_DX", 5, "J9601"),
                       ClaimCode("ICD10PCS", 1, "02HV33Z"), ClaimCode("ICD10PCS", 2, "5A1955Z")]
    assert audited_codes([], [Finding("ICD10CM_DX", None, "I5020", "add")]) == [ClaimCode("ICD10CM_DX", 1, "I5020")]
    with pytest.raises(FindingMismatch, match="no ICD10CM_DX code N170 left to delete"):
        audited_codes(codes("I5020", "N170"), [Finding("ICD10CM_DX", "N170", None, "delete")] * 2)
    # the principal diagnosis revised: E87.1 hyponatraemia as principal groups to MDC 10 (640 with MCC: N17.0)
    revised = regroup(MAY_2026, audited_codes(codes("I5020", "N170"), [Finding("ICD10CM_DX", "I5020", "E871", "revise")]))
    assert (revised.drg, revised.mdc) == ("640", 10)


def test_worker_processes_give_the_same_results(monkeypatch):
    cases = [("I5020", ("N170",)), ("J189", ("E871", "I10")), ("V0001XA", ()), ("N390", ("E871",)), ("I214", ())] * 3
    claims = pa.Table.from_pylist([{"claim_key": f"k{i:02d}", "discharge_date": date(2026, 5, 3), "patient_age": 60 + i,
                                    "patient_sex": "MF"[i % 2], "discharge_status": "01"} for i in range(len(cases))], CLAIM_SCHEMA)
    rows = pa.Table.from_pylist([{"claim_key": f"k{i:02d}", "code_type": c.code_type, "line": c.line, "code": c.code, "poa": c.poa}
                                 for i, (principal, extra) in enumerate(cases) for c in codes(principal, *extra)], CODE_SCHEMA)
    here = results(group_claims(claims, rows))
    monkeypatch.setattr(drg_engine, "POOL_THRESHOLD", 1)
    monkeypatch.setattr(drg_engine, "CHUNK", 4)
    assert results(group_claims(claims, rows)) == here
    assert [r.drg for r in here[:5]] == ["291", "194", "999", "690", "282"]
