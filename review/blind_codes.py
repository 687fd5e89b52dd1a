"""Blind review's codes and their differences: the auditor abstracts the record before seeing the coder's codes
(diagnoses with POA, principal first; ICD-10-PCS procedures; the MS-DRG), and the two sets are compared into
proposed findings the worklist can take (docs/SAMPLING.md, "Blind review").

The rules, in order (codes compared undotted, upper case):
- Principal diagnosis: when the first diagnoses differ, the coder's principal is revised to the auditor's. Its
  category is `sequencing` when the auditor's principal is among the coder's diagnoses or the coder's among the
  auditor's (the same codes, another principal), else `specificity` when both share a three-character category,
  else `wrong_code`.
- Secondary diagnoses, compared as multisets: a coder's code missing from the auditor's list and an auditor's
  code missing from the coder's list that share a three-character category are one change (revise,
  `specificity`; `sequencing` when the pair is the swapped principal). A coder's code left over is deleted
  (`unsupported_code`); an auditor's code left over is added (`missing_code`). Order beyond the principal is not
  a difference.
- Procedures (ICD-10-PCS), as multisets: a left-over pair sharing the first three characters (section, body
  system, root operation) is one change (revise, `wrong_code`); the rest are deleted or added as above.
- A diagnosis on both lists whose POA differs is shown as a difference, with no finding proposed (a finding
  holds codes, not POA indicators).
- MS-DRG: an audited MS-DRG other than the billed one is a DRG revise (`drg`); the same one is a DRG agree.
Codes of other types (admitting diagnosis, CPT, HCPCS) are not entered blind: they stay as the coder coded them.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from queries.reference import PCS_SECTIONS, pcs_titles

POA_VALUES = ("Y", "N", "U", "W", "1")
BLIND_CODE_TYPES = ("ICD10CM_DX", "ICD10PCS")
_PCS = re.compile(r"[0-9A-HJ-NP-Z]{7}")
_DRG = re.compile(r"\d{3}")


@cache
def _icd() -> ModuleType:
    """simple_icd_10_cm, imported on first use (loading it takes about two seconds)."""
    import simple_icd_10_cm

    return simple_icd_10_cm


class BlindCodeError(ValueError):
    """A blind entry the page refuses, in one sentence saying what to correct; nothing was saved."""


@dataclass(frozen=True)
class Diagnosis:
    code: str
    poa: str | None = None


@dataclass(frozen=True)
class BlindCodes:
    """What the auditor abstracted: diagnoses (principal first), procedures, and the MS-DRG (inpatient)."""

    diagnoses: tuple[Diagnosis, ...]
    procedures: tuple[str, ...] = ()
    drg: str | None = None


@dataclass(frozen=True)
class CoderCode:
    """One of the claim's submitted codes, as claim_codes holds it (undotted, upper case), in line order."""

    code_type: str
    code: str
    poa: str | None = None


@dataclass(frozen=True)
class Difference:
    """One difference between the coder's codes and the auditor's blind codes. `finding` is the proposed
    finding (None for a POA difference, which no finding holds); `kind` is how the page names it."""

    kind: str  # principal | changed | deleted | added | poa | drg
    code_type: str
    submitted_code: str | None
    audited_code: str | None
    finding: str | None
    error_category: str | None
    detail: str = ""


def normalized(code: str) -> str:
    return code.replace(".", "").strip().upper()


def _check_diagnosis(code: str, typed: str, where: str) -> None:
    icd = _icd()
    if not icd.is_valid_item(code):
        raise BlindCodeError(f"{where}: {typed!r} is not an ICD-10-CM code; check it against the code book and save again.")
    if not icd.is_leaf(code):
        raise BlindCodeError(f"{where}: {icd.add_dot(code)} is a category, not a billable code; enter its complete code and "
                             "save again.")


def _check_procedure(code: str, typed: str, where: str) -> None:
    if not _PCS.fullmatch(code) or code[0] not in PCS_SECTIONS or (code[0] == "0" and code not in pcs_titles()):
        raise BlindCodeError(f"{where}: {typed!r} is not an ICD-10-PCS code (7 characters, e.g. 02703ZZ); correct it and "
                             "save again.")


def parse(diagnoses: str, procedures: str = "", drg: str = "", *, inpatient: bool = True) -> BlindCodes:
    """The blind entry as typed (diagnoses one a line: the code, then its POA; procedures one a line; the
    MS-DRG), checked against the code sets: the first problem is refused in one sentence (BlindCodeError)."""
    found: list[Diagnosis] = []
    for number, line in enumerate(diagnoses.splitlines(), start=1):
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        where = f"Diagnosis line {number}"
        if len(parts) > 2:
            raise BlindCodeError(f"{where}: write one code and its POA ({', '.join(POA_VALUES)}, or nothing if exempt).")
        code = normalized(parts[0])
        poa = parts[1].upper() if len(parts) == 2 else None
        if poa is not None and poa not in POA_VALUES:
            raise BlindCodeError(f"{where}: POA {parts[1]!r} is not one of {', '.join(POA_VALUES)} (leave it out if exempt).")
        _check_diagnosis(code, parts[0], where)
        found.append(Diagnosis(code, poa))
    if not found:
        raise BlindCodeError("Enter at least the principal diagnosis (first line) before saving your codes.")
    codes = []
    for number, line in enumerate(procedures.splitlines(), start=1):
        for part in line.replace(",", " ").split():
            code = normalized(part)
            _check_procedure(code, part, f"Procedure line {number}")
            codes.append(code)
    audited_drg = drg.strip() or None
    if audited_drg is not None and not _DRG.fullmatch(audited_drg):
        raise BlindCodeError(f"MS-DRG {audited_drg!r} is not an MS-DRG (three digits, e.g. 291); correct it and save again.")
    if inpatient and audited_drg is None:
        raise BlindCodeError("Enter the MS-DRG the record supports (three digits): this is an inpatient claim.")
    return BlindCodes(tuple(found), tuple(codes), audited_drg if inpatient else None)


def _category_pair(left: str, right: str, width: int) -> bool:
    return left[:width] == right[:width]


def _left_over(coder: Sequence[str], auditor: Sequence[str]) -> tuple[list[str], list[str]]:
    """The coder's codes the auditor's list does not hold (coder's order) and the reverse (auditor's order)."""
    theirs, ours = Counter(auditor), Counter(coder)
    only_coder, only_auditor = [], []
    for code in coder:
        if theirs[code]:
            theirs[code] -= 1
        else:
            only_coder.append(code)
    for code in auditor:
        if ours[code]:
            ours[code] -= 1
        else:
            only_auditor.append(code)
    return only_coder, only_auditor


def _paired(code_type: str, only_coder: list[str], only_auditor: list[str], width: int, category: str,
            swapped: tuple[str, str] | None = None) -> list[Difference]:
    out = []
    waiting = list(only_auditor)
    for code in only_coder:
        partner = next((a for a in waiting if (code, a) == swapped), None) or next(
            (a for a in waiting if _category_pair(code, a, width)), None)
        if partner is None:
            out.append(Difference("deleted", code_type, code, None, "delete", "unsupported_code"))
            continue
        waiting.remove(partner)
        sequencing = (code, partner) == swapped
        out.append(Difference("principal" if sequencing else "changed", code_type, code, partner, "revise",
                              "sequencing" if sequencing else category))
    out += [Difference("added", code_type, None, code, "add", "missing_code") for code in waiting]
    return out


def differences(coder: Sequence[CoderCode], blind: BlindCodes, billed_drg: str | None) -> list[Difference]:
    """The differences between the coder's codes (line order) and the blind codes, by the rules above, in the
    order: principal diagnosis, other diagnoses, POA, procedures, MS-DRG."""
    dx = [c for c in coder if c.code_type == "ICD10CM_DX"]
    theirs = [d.code for d in blind.diagnoses]
    ours = [c.code for c in dx]
    out: list[Difference] = []
    swapped = None
    if ours and theirs and ours[0] != theirs[0]:
        principal_c, principal_a = ours[0], theirs[0]
        same_codes = principal_a in ours[1:] or principal_c in theirs[1:]
        category = "sequencing" if same_codes else "specificity" if _category_pair(principal_c, principal_a, 3) else "wrong_code"
        out.append(Difference("principal", "ICD10CM_DX", principal_c, principal_a, "revise", category,
                              "principal diagnosis"))
        swapped = (principal_a, principal_c)
        rest_coder, rest_auditor = ours[1:], theirs[1:]
    elif not ours:
        rest_coder, rest_auditor = [], theirs
    else:
        rest_coder, rest_auditor = ours[1:], theirs[1:]
    out += _paired("ICD10CM_DX", *_left_over(rest_coder, rest_auditor), 3, "specificity", swapped)
    poa_coder = {c.code: c.poa for c in dx}
    out += [Difference("poa", "ICD10CM_DX", d.code, d.code, None, None, f"POA {poa_coder[d.code] or 'blank'} -> {d.poa or 'blank'}")
            for d in blind.diagnoses if d.code in poa_coder and (poa_coder[d.code] or None) != d.poa]
    pcs = [c.code for c in coder if c.code_type == "ICD10PCS"]
    out += _paired("ICD10PCS", *_left_over(pcs, list(blind.procedures)), 3, "wrong_code")
    if blind.drg is not None and billed_drg:
        if blind.drg != billed_drg:
            out.append(Difference("drg", "MSDRG", billed_drg, blind.drg, "revise", "drg"))
    return out


def proposed_rows(coder: Sequence[CoderCode], accepted: Sequence[Difference]) -> list[dict[str, object]]:
    """The claim's code findings once `accepted` differences are taken: one row per submitted code (agree unless
    an accepted difference revises or deletes it), then the added codes; MS-DRG and POA differences are left to
    the DRG inputs and the auditor. Each revise or delete takes the first line still holding its code."""
    changing = [d for d in accepted if d.finding in ("revise", "delete") and d.code_type != "MSDRG"]
    rows: list[dict[str, object]] = []
    for code in coder:
        change = next((d for d in changing if d.code_type == code.code_type and d.submitted_code == code.code), None)
        if change is None:
            rows.append({"code_type": code.code_type, "submitted_code": code.code, "audited_code": code.code,
                         "finding": "agree", "error_category": None, "dollar_impact": "0"})
            continue
        changing.remove(change)
        rows.append({"code_type": code.code_type, "submitted_code": code.code, "audited_code": change.audited_code,
                     "finding": change.finding, "error_category": change.error_category, "dollar_impact": "0"})
    rows += [{"code_type": d.code_type, "submitted_code": None, "audited_code": d.audited_code, "finding": "add",
              "error_category": d.error_category, "dollar_impact": "0"} for d in accepted if d.finding == "add"]
    return rows
