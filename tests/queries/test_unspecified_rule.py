"""The side rule of the unspecified flag (docs/METRICS.md, "Unspecified code"): a title whose one
"unspecified" is its first word and that names a side is spared only when no billable code of its category
names the same sides, with the same 7th character, without saying "unspecified". Checked on the official
FY2026 titles and on a made-up category that isolates each part of the rule."""
from __future__ import annotations

import pytest
import simple_icd_10_cm as icd

from queries.reference import icd10cm_frame, is_unspecified_title, unspecified_flags


@pytest.fixture(scope="module")
def flags() -> dict[str, bool]:
    frame = icd10cm_frame()
    return dict(zip(frame["code"], frame["unspecified"], strict=True))


@pytest.mark.parametrize(("code", "flagged", "specific_sibling"), [
    # counted: a sibling names the same side and encounter and specifies the fracture type, the type of
    # mastoiditis, of mononeuropathy, of deformity
    ("S72.301A", True, "S72.321A"),  # Unspecified fracture of shaft of right femur, initial encounter for closed fracture
    ("S72.302A", True, "S72.322A"),  # ... of left femur; S72.322A Displaced transverse fracture of shaft of left femur, ...
    ("H70.93", True, "H70.003"),     # Unspecified mastoiditis, bilateral; H70.003 Acute mastoiditis without complications, bilateral
    ("G56.93", True, "G56.03"),      # Unspecified mononeuropathy of bilateral upper limbs; G56.03 Carpal tunnel syndrome, bilateral upper limbs
    ("M21.961", True, "M21.061"),    # Unspecified acquired deformity of right lower leg; M21.061 Valgus deformity, NEC, right knee
    # spared: every N63 code is an "Unspecified lump" (no lump type is codable)
    ("N63.25", False, None),         # Unspecified lump in the left breast, overlapping quadrants
    ("N63.41", False, None),         # Unspecified lump in right breast, subareolar
])
def test_a_leading_unspecified_is_spared_only_without_a_specific_sibling(flags, code, flagged, specific_sibling):
    title = icd.get_description(code)
    assert title.startswith("Unspecified") and title.lower().count("unspecified") == 1
    assert flags[code.replace(".", "")] is flagged, title
    if specific_sibling:
        sibling = icd.get_description(specific_sibling)
        assert icd.is_leaf(specific_sibling) and specific_sibling[:3] == code[:3] and not is_unspecified_title(sibling)
    else:
        assert all(icd.get_description(c).startswith("Unspecified lump") for c in icd.get_descendants("N63")
                   if icd.is_leaf(c))


def test_a_made_up_category_isolates_each_part_of_the_rule():
    codes = ["X01101A", "X01111D", "X01112A", "X01113A", "X02201A", "X02211A", "X019"]
    titles = [
        "Unspecified break of right arm, initial encounter",    # candidate: no specific right arm at A
        "Displaced break of right arm, subsequent encounter",   # right, but another encounter (D)
        "Displaced break of left arm, initial encounter",       # A, but the other side
        "Displaced break of unspecified arm, initial encounter",  # says unspecified: specifies nothing
        "Unspecified break of right leg, initial encounter",    # candidate of category X02: X02211A specifies it
                                                                # (and would specify X01101A, were it in X01)
        "Displaced break of right leg, initial encounter",
        "Break, unspecified",                                   # not a candidate: no side, flagged
    ]
    got = unspecified_flags(codes, titles, [True] * len(codes))
    assert got == [False, False, False, True, True, False, True]
    assert unspecified_flags(codes, titles, [False, *[True] * 6])[0] is False   # a header is never unspecified


def test_the_figures_in_the_docs():
    # docs/METRICS.md: of the 23,711 billable FY2026 codes whose title says "unspecified", 14 are spared (the N63
    # lumps of a named breast; the side rule spared 2,725 before it asked for a specific sibling).
    frame = icd10cm_frame()
    billable = frame[frame["billable"]]
    said = billable["description"].map(is_unspecified_title)
    spared = billable[said & ~billable["unspecified"]]
    assert (int(said.sum()), len(spared)) == (23_711, 14)
    assert spared["code"].str[:3].unique().tolist() == ["N63"]
