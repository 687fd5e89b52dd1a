"""Loading the reference tables into the store at every ingest: the ICD-10-CM code set (queries/reference.py
builds its frames), our CARC table and the MS-DRG relative weights, so SQL can join on them."""
from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from ingest.files import IngestError
from ingest.sql_files import sql
from queries.reference import chapter_frame, icd10cm_frame

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference"
CARC_FILE = REFERENCE / "carc.csv"
RARC_FILE = REFERENCE / "rarc.csv"
DRG_WEIGHTS_FILE = REFERENCE / "drg_weights.csv"  # the user's (CMS Table 5 of the IPPS final rule); none is shipped
SYNTHETIC_DRG_WEIGHTS_FILE = REFERENCE / "drg_weights_SYNTHETIC_demo.csv"  # made up, for the demo only
DRG_WEIGHT_COLUMNS = ["drg", "fiscal_year", "weight"]


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
