"""What a reviewer changes a code to in the demo: a clinically related code, as in a hospital's audits.

A diagnosis is revised to a code of the same family (`related_diagnosis`): an unspecified code to a more
specific sibling of its category (a specificity error), any other code to a sibling under the same parent,
else in the same category (a wrong code). A procedure is revised within its own code set and family: an
ICD-10-PCS code to one with the same section, body system, root operation and body part where the code set
has one; a CPT code to another of its group (office visit levels, emergency visit levels, the same section);
a HCPCS code to one of the same letter. A code without a related one stays (the demo then records the finding
as agreed). Never F20.3 -> M84.472K.
"""
from __future__ import annotations

from functools import cache

import numpy as np

from queries.reference import icd10cm_frame, parent_frame, pcs_titles

# CPT codes of the demo by group: a revision stays in the group.
CPT_GROUPS = (
    ("99203", "99204", "99213", "99214", "99215"),       # office visits (levels)
    ("99283", "99284", "99285"),                         # emergency department visits (levels)
    ("20610", "29881", "43239", "45378", "66984", "36415"),  # surgery section
    ("71046",),                                          # radiology
    ("80053", "85025"),                                  # laboratory
    ("93000", "93306", "97110"),                         # medicine
)


@cache
def _billable() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Billable codes, their unspecified flags, and the positions of the codes of each category and block."""
    frame = icd10cm_frame()
    billable = frame[frame.billable].reset_index(drop=True)
    return (billable["code"].to_numpy(), billable["unspecified"].to_numpy(),
            billable.groupby("category").indices, billable.groupby("block").indices)


def _choose(rng: np.random.Generator, candidates: tuple[str, ...] | list[str] | np.ndarray, avoid: str) -> str | None:
    others = [c for c in candidates if c != avoid]
    return others[int(rng.integers(0, len(others)))] if others else None


def related_diagnosis(rng: np.random.Generator, code: str, unspecified: bool, block: str | None) -> tuple[str | None, str]:
    """(audited code, error category) for a revised ICD-10-CM code (no dots) of `block`: a specified sibling
    (else a specified code of the category) for an unspecified code, else a sibling, else a code of the same
    category, else of the same block. A code that is not billable (a header, a string that is no code) is
    revised to a billable code of its category; None when it has none."""
    codes, unspecified_flags, categories, blocks = _billable()
    if code not in _index():
        return _choose(rng, codes[categories.get(code[:3], np.array([], dtype=int))], code), "wrong_code"
    siblings = _billable_children().get(_parents()[code], [])
    in_category = categories.get(code[:3], np.array([], dtype=int))
    if unspecified:
        specified_siblings = [c for c in siblings if not unspecified_flags[_index()[c]]]
        choice = _choose(rng, specified_siblings, code) or _choose(rng, codes[in_category[~unspecified_flags[in_category]]], code)
        if choice:
            return choice, "specificity"
    choice = (_choose(rng, siblings, code) or _choose(rng, codes[in_category], code)
              or (_choose(rng, codes[blocks[block]], code) if block else None))
    return (choice or code), "wrong_code"


@cache
def _parents() -> dict[str, str]:
    frame = parent_frame()
    return dict(zip(frame["code"], frame["parent"], strict=True))


@cache
def _billable_children() -> dict[str, list[str]]:
    """The billable codes under each code or block, in the tabular list's order (the order simple_icd_10_cm's
    get_children gives, which the demo's seeded choices depend on)."""
    children: dict[str, list[str]] = {}
    for code, billable in zip(icd10cm_frame()["code"], icd10cm_frame()["billable"], strict=True):
        if billable:
            children.setdefault(_parents()[code], []).append(code)
    return children


@cache
def _index() -> dict[str, int]:
    return {code: i for i, code in enumerate(_billable()[0])}


def related_procedure(rng: np.random.Generator, code_type: str, code: str, pool: dict[str, np.ndarray]) -> str:
    """The audited code for a revised procedure code of `code_type`; `pool` holds the demo's codes by type."""
    if code_type == "ICD10PCS":
        for length in (4, 3):
            if choice := _choose(rng, _pcs_by_prefix(length).get(code[:length], ()), code):
                return choice
        return _choose(rng, [c for c in pool["ICD10PCS"] if c[0] == code[0]], code) or code
    if code_type == "CPT":
        group = next((g for g in CPT_GROUPS if code in g), tuple(pool["CPT"]))
        return _choose(rng, group, code) or code
    return _choose(rng, [c for c in pool["HCPCS"] if c[0] == code[0]], code) or code


@cache
def _pcs_by_prefix(length: int) -> dict[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = {}
    for code in pcs_titles():
        grouped.setdefault(code[:length], []).append(code)
    return {prefix: tuple(codes) for prefix, codes in grouped.items()}
