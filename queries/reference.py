"""Reference tables: the ICD-10-CM code set and our CARC table, loaded so SQL can join on them."""
from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import simple_icd_10_cm as icd  # the official FY2026 tabular list, packaged; no hand-kept code list

from queries.ingest_files import IngestError
from queries.sql_files import sql

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference"
CARC_FILE = REFERENCE / "carc.csv"
DRG_WEIGHTS_FILE = REFERENCE / "drg_weights.csv"  # the user's (CMS Table 5 of the IPPS final rule); none is shipped
SYNTHETIC_DRG_WEIGHTS_FILE = REFERENCE / "drg_weights_SYNTHETIC_demo.csv"  # made up, for the demo only
DRG_WEIGHT_COLUMNS = ["drg", "fiscal_year", "weight"]
_SIDE = re.compile(r"\b(right|left)\b", re.IGNORECASE)


def dotted(code: str) -> str:
    """Official display form: a dot after the three-character category."""
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


@cache  # static reference data, identical for every caller; never mutate the returned frame
def icd10cm_frame() -> pd.DataFrame:
    """One row per code of the tabular list (chapters and blocks excluded).

    billable: a leaf of the hierarchy. unspecified: billable and the official title says so.
    laterality_unspecified: unspecified, no side in its own title, while a sibling names right or left.
    """
    codes = [c for c in icd.get_all_codes(with_dots=False) if not icd.is_chapter_or_block(c)]
    sided_parents = {icd.get_parent(c) for c in codes if _SIDE.search(icd.get_description(c))}
    rows = []
    for code in codes:
        description = icd.get_description(code)
        ancestors = icd.get_ancestors(code)  # nearest first; block and chapter are the last two
        billable = icd.is_leaf(code)
        unspecified = billable and "unspecified" in description.lower()
        lateral = unspecified and not _SIDE.search(description) and icd.get_parent(code) in sided_parents
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
    chapters = [c for c in icd.get_all_codes(with_dots=False) if icd.is_chapter(c)]
    blocks = [c for c in icd.get_all_codes(with_dots=False) if icd.is_block(c)]
    return pd.DataFrame(
        [(c, "chapter", icd.get_description(c)) for c in chapters]
        + [(b, "block", icd.get_description(b)) for b in blocks],
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
    """ICD-10-CM is loaded once per store (it changes only with a release); the CARC table and the DRG
    weights at every ingest (the demo's synthetic weights for a demo, the user's file otherwise)."""
    if not con.execute(sql("reference/has_icd10cm")).fetchone()[0]:
        load_icd10cm(con)
    load_carc(con)
    if synthetic_drg_weights:
        load_drg_weights(con, SYNTHETIC_DRG_WEIGHTS_FILE, synthetic=True)
    else:
        load_drg_weights(con, DRG_WEIGHTS_FILE)
