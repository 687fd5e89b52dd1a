"""Hostile input files: what a careless operator or an attacker with write access to the drop folder can
hand to `ingest`, and what must happen. Extend HOSTILE_FILES (rows) or FILE_ERRORS (whole-file errors).

The invariant for every file that loads: accepted + rejected = rows in the file, and no reason quotes a
value. Every whole-file error is one IngestError line and leaves the store as it was.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.files import RECORD_MAX_CHARS, RECORD_TOO_LONG
from ingest.writer import IngestError, ingest
from tests.conftest import Recorded

TODAY = date(2026, 3, 15)  # the ingest date the date rules are checked against
HEADER = "claim_id,patient_dob,facility_id,payer,coder_id,encounter_type,service_date,discharge_date,billed_amount"


def good(claim_id: str = "A", **over: str) -> str:
    row = {"claim_id": claim_id, "patient_dob": "1960-02-03", "facility_id": "F1", "payer": "P", "coder_id": "C1",
           "encounter_type": "outpatient", "service_date": "2025-01-10", "discharge_date": "", "billed_amount": "10", **over}
    return ",".join(row[c] for c in HEADER.split(",")) + "\n"


@dataclass(frozen=True)
class Hostile:
    """A claims.csv and the rejects it must give: (line, reason) pairs; every other row is accepted."""

    content: Callable[[], bytes]
    rows: int
    rejects: list[tuple[int, str]]


HOSTILE_FILES: dict[str, Hostile] = {
    "a 50 MB row is rejected, not dropped": Hostile(
        lambda: (HEADER + "\n" + good("A") + good("B", facility_id="F" * 50_000_000) + good("C")).encode(), 3,
        [(3, RECORD_TOO_LONG)]),
    "a 50 MB last line without a newline is rejected": Hostile(
        lambda: (HEADER + "\n" + good("A") + "B," + "F" * 50_000_000).encode(), 2,
        [(3, RECORD_TOO_LONG)]),
    "a record just over the record limit is rejected for its length": Hostile(
        lambda: (HEADER + "\n" + good("A") + "B," + "F" * RECORD_MAX_CHARS + "\n" + good("C")).encode(), 3,
        [(3, RECORD_TOO_LONG)]),
    "a bare CR inside a quoted field is one record, one reject": Hostile(
        lambda: (HEADER + "\n" + good("A") + good("B", facility_id='"F\r1"') + good("C")).encode(), 3,
        [(3, "facility_id holds a control character (such as NUL, a tab or a line break)")]),
    "a NUL byte is not stored": Hostile(
        lambda: (HEADER + "\n" + good("A", payer="P\x00Q") + good("B")).encode(), 2,
        [(2, "payer holds a control character (such as NUL, a tab or a line break)")]),
    "text longer than 100 characters": Hostile(
        lambda: (HEADER + "\n" + good("A", coder_id="C" * 101) + good("B", coder_id="C" * 100)).encode(), 2,
        [(2, "coder_id is longer than 100 characters")]),
    "a claim id longer than 100 characters": Hostile(
        lambda: (HEADER + "\n" + good("X" * 101) + good("B")).encode(), 2,
        [(2, "claim_id is longer than 100 characters")]),
    "dates outside 1990 to tomorrow": Hostile(
        lambda: (HEADER + "\n" + good("A", service_date="0001-01-01") + good("B", service_date="9999-12-31")
                 + good("C", service_date="1989-12-31") + good("D", service_date="2026-03-16")
                 + good("E", service_date="2025-01-10", discharge_date="2026-03-17")).encode(), 5,
        [(2, "service_date is before 1990-01-01"),
         (3, "service_date is after 2026-03-16, the day after the ingest: a future date"),
         (4, "service_date is before 1990-01-01"),
         (6, "discharge_date is after 2026-03-16, the day after the ingest: a future date")]),
    "birth dates in the future, before 1880 or after the service": Hostile(
        lambda: (HEADER + "\n" + good("A", patient_dob="2026-03-16") + good("B", patient_dob="1879-12-31")
                 + good("C", patient_dob="2025-01-11") + good("D", patient_dob="2025-01-10")).encode(), 4,
        [(2, "patient_dob is in the future; the value is not shown because it is PHI"),
         (3, "patient_dob is before 1880-01-01; the value is not shown because it is PHI"),
         (4, "patient_dob is after service_date; the value is not shown because it is PHI")]),
}


def _rejects(store: Path) -> list[tuple[int, str]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute("SELECT line, reason FROM rejects ORDER BY line").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("case", list(HOSTILE_FILES))
def test_hostile_rows_are_counted_and_rejected_with_a_reason(paths, tmp_path, case):
    hostile = HOSTILE_FILES[case]
    src = tmp_path / "in"
    src.mkdir()
    (src / "claims.csv").write_bytes(hostile.content())
    result = ingest(src, paths, recorder=Recorded(), today=TODAY)
    assert result.accepted["claims"] + result.rejected["claims"] == hostile.rows
    assert _rejects(paths.store) == hostile.rejects
    con = duckdb.connect(str(paths.store), read_only=True)
    try:
        longest, control = con.execute(
            "SELECT max(greatest(length(facility_id), length(payer), length(coder_id))), "
            "count(*) FILTER (WHERE regexp_matches(facility_id || payer || coder_id, '[\\x00-\\x1F]')) FROM claims").fetchone()
        kept = con.execute("SELECT max(octet_length(ciphertext)) FROM rejects").fetchone()[0]
    finally:
        con.close()
    assert (longest or 0) <= 100 and control == 0
    assert (kept or 0) <= RECORD_MAX_CHARS + 16  # the sealed raw row (ASCII here) and its 16-byte tag


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _parquet_with_list_column(path: Path) -> None:
    pq.write_table(pa.table({"claim_id": ["A"], "facility_id": [["F1", "F2"]], "payer": ["P"], "coder_id": ["C1"],
                             "encounter_type": ["outpatient"], "service_date": ["2025-01-10"], "billed_amount": ["10"]}),
                   path.with_suffix(".parquet"))


def _parquet_with_invalid_utf8(path: Path) -> None:
    name = pa.array([b"Zebulon Quackenbush\xff"], pa.binary()).view(pa.string())
    pq.write_table(pa.table({"claim_id": ["A"], "patient_name": name, "facility_id": ["F1"], "payer": ["P"], "coder_id": ["C1"],
                             "encounter_type": ["outpatient"], "service_date": ["2025-01-10"], "billed_amount": ["10"]}),
                   path.with_suffix(".parquet"))


FILE_ERRORS: dict[str, tuple[Callable[[Path], object], str]] = {
    "a folder named claims.csv": (lambda p: p.mkdir(), "claims.csv is a folder, not a regular file"),
    "a FIFO named claims.csv": (_fifo, "claims.csv is a named pipe (FIFO), not a regular file"),
    "a symlink to /dev/zero": (lambda p: p.symlink_to("/dev/zero"), "claims.csv is a symbolic link"),
    "a dangling symlink": (lambda p: p.symlink_to(p.parent / "nowhere.csv"), "claims.csv is a symbolic link"),
    "an empty file": (lambda p: p.write_bytes(b""), "claims.csv is empty"),
    "a 50 MB first line without a newline": (lambda p: p.write_bytes(b"claim_id," + b"x" * 50_000_000),
                                             "the first line is longer than 64 KiB"),
    "a nested Parquet column": (_parquet_with_list_column, "claims.parquet: column 'facility_id' holds nested values"),
    "a Parquet string that is not UTF-8": (_parquet_with_invalid_utf8, "claims.parquet holds text that is not valid UTF-8"),
}


@pytest.mark.parametrize("case", list(FILE_ERRORS))
def test_hostile_files_fail_with_one_line_and_change_nothing(paths, tmp_path, case):
    make, message = FILE_ERRORS[case]
    src = tmp_path / "in"
    src.mkdir()
    make(src / "claims.csv")
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            ingest(src, paths, recorder=Recorded(), today=TODAY)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive() and case == "a FIFO named claims.csv":  # unblock the reader so the thread can end
        with open(src / "claims.csv", "w") as fifo:
            fifo.write(HEADER + "\n")
        worker.join(timeout=60)
        pytest.fail("ingest blocked on a FIFO")
    assert outcome and isinstance(outcome[0], IngestError), outcome
    assert message in str(outcome[0]) and "\n" not in str(outcome[0]) and "Quackenbush" not in str(outcome[0])
    assert not paths.store.exists()
    assert not list(paths.data_dir.glob(".store.duckdb.writing-*"))


# Headers that name the wrong columns: PHI lands in columns whose values reasons used to quote.
MRN, NAME, DOB, CLAIM = "MRN0042137", "Ada Lovelace", "1960-02-03", "CLM-7781"
MISLABELLED = {
    "claims": ("claim_id,service_date,encounter_type,discharge_date,facility_id,payer,coder_id,billed_amount,patient_mrn",
               [f"{CLAIM},{MRN},outpatient,{DOB},F1,P,C1,{MRN},x",       # the MRN as service_date
                f"{CLAIM}2,2025-01-10,outpatient,{DOB},F1,P,C1,{NAME},y",   # a DOB as discharge_date, a name as billed_amount
                f"{CLAIM}3,2025-01-10,{NAME},,F1,P,C1,10,z"]),          # a name as encounter_type
    "claim_codes": ("claim_id,line,code_type,code,poa,units",
                    [f"{CLAIM},{MRN},ICD10CM_DX,E11.9,,", f"{CLAIM},1,{NAME},E11.9,,", f"{CLAIM},1,CPT,{NAME},{MRN},{DOB}"]),
    "audit_findings": ("claim_id,review_id,auditor_id,review_date,code_type,submitted_code,audited_code,finding,error_category,dollar_impact",
                       [f"{CLAIM},R1,A1,{DOB}x,ICD10CM_DX,{MRN},{NAME},agree,,", f"{CLAIM},R1,A1,2025-02-01,ICD10CM_DX,{MRN},X{MRN},agree,,",
                        f"{CLAIM},R2,A1,2025-02-01,ICD10CM_DX,E11.9,E11.9,{NAME},,{MRN}"]),
    "denials": ("claim_id,payer,remit_date,group_code,carc,rarc,denied_amount,appeal_status",
                [f"{CLAIM},P,{DOB}/,{MRN},16,,1,", f"{CLAIM},P,2025-02-10,CO,{MRN},,1,", f"{CLAIM},P,2025-02-10,CO,16,{NAME},{DOB},{NAME}"]),
}


def test_reasons_never_quote_a_value_when_headers_are_mislabelled(paths, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for table, (header, lines) in MISLABELLED.items():
        (src / f"{table}.csv").write_text("\n".join([header, *lines]) + "\n")
    result = ingest(src, paths, recorder=Recorded(), today=TODAY)
    assert sum(result.rejected.values()) == 12 and sum(result.accepted.values()) == 0
    reasons = [reason for _, reason in _rejects(paths.store)]
    words = {w for value in (MRN, NAME, DOB, CLAIM, "0042137", "Lovelace", "1960") for w in value.split()}
    for reason in reasons + result.reject_samples:
        assert not any(w in reason for w in words), reason
    assert "service_date 'AAA9999999' is not a date (YYYY-MM-DD)" in reasons
    assert "encounter_type 'aaa aaaaaaaa' is not one of inpatient, outpatient, professional" in reasons
